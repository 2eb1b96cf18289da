"""An import-linter contract type: the apps use each other only through their public modules.

Each app's public API is its `services` (writes) and `selectors` (reads), plus the few modules
the contract names one by one (a vocabulary of roles or scopes, an extension point). Any other
module of an app — its models, views, tasks, private helpers — may be imported only from inside
that app, or from the wiring above all apps (which is not listed in `apps`).

Configured in pyproject.toml under [tool.importlinter]; `make lint` runs it with `lint-imports`.
"""

from __future__ import annotations

from dataclasses import dataclass

import grimp
from importlinter import Contract, ContractCheck, fields, output


@dataclass(frozen=True, order=True)
class Violation:
    importer: str
    imported: str
    line_numbers: tuple[int, ...]


def app_of(module: str, apps: set[str]) -> str | None:
    top = module.split(".", 1)[0]
    return top if top in apps else None


def is_public(module: str, public_names: set[str], also_public: set[str]) -> bool:
    """`app.services`, `app.selectors` (modules or packages, with what is inside them), or a
    module named in `also_public` (with what is inside it)."""
    parts = module.split(".")
    if len(parts) >= 2 and parts[1] in public_names:
        return True
    return any(module == name or module.startswith(name + ".") for name in also_public)


def violations(graph: grimp.ImportGraph, apps: set[str], public_names: set[str],
               also_public: set[str]) -> list[Violation]:
    found = []
    for importer in sorted(graph.modules):
        importer_app = app_of(importer, apps)
        if importer_app is None:
            continue
        for imported in graph.find_modules_directly_imported_by(importer):
            imported_app = app_of(imported, apps)
            if imported_app in (None, importer_app) or is_public(imported, public_names, also_public):
                continue
            details = graph.get_import_details(importer=importer, imported=imported)
            found.append(Violation(importer, imported, tuple(d["line_number"] for d in details)))
    return sorted(found)


class PublicApiContract(Contract):
    type_name = "public_api"

    apps = fields.SetField(subfield=fields.StringField())
    public = fields.SetField(subfield=fields.StringField())
    also_public = fields.SetField(subfield=fields.StringField(), required=False)

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        apps: set[str] = self.apps
        public: set[str] = self.public
        also_public: set[str] = self.also_public or set()
        found = violations(graph, apps, public, also_public)
        return ContractCheck(kept=not found, metadata={"violations": found})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for violation in check.metadata["violations"]:
            lines = ", ".join(map(str, violation.line_numbers))
            output.print_error(f"{violation.importer} -> {violation.imported} (l. {lines})", bold=False)
            output.new_line()
        output.print_error(
            "Import the other app's services or selectors (add what you need there), or register "
            "into one of its extension points.", bold=False)
