"""`manage.py tiny_train`: train Storyloom Tiny from nothing and write its weights.

Seeded and resumable: run it again after an interruption and it carries on from its last
checkpoint (in var/storyloom-tiny/train/); --fresh starts over. The defaults are the plan the
committed weights were trained with (about 59 minutes on two CPU cores with bfloat16
instructions; the model card has the times); --vae-from trains the latents and the transformer
on an already trained VAE.
"""

from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from generation.storyloom_tiny import model
from generation.storyloom_tiny.train import Plan, Trainer, loss_curve
from kernel.paths import VAR_DIR


class Command(BaseCommand):
    help = "Train Storyloom Tiny (VAE, latents, transformer) and write its weights."

    def add_arguments(self, parser: Any) -> None:
        for field in fields(Plan):
            parser.add_argument(f"--{field.name.replace('_', '-')}", type=type(field.default), default=None,
                                help=f"(default {field.default})")
        parser.add_argument("--workdir", type=Path, default=VAR_DIR / "storyloom-tiny" / "train",
                            help="checkpoints and the latent cache")
        parser.add_argument("--out", type=Path, default=model.WEIGHTS, help="where the weights go")
        parser.add_argument("--fresh", action="store_true", help="ignore an earlier run's checkpoint")
        parser.add_argument("--vae-from", type=Path, default=None,
                            help="a trained VAE's directory (e.g. the committed weights' vae/): skip the VAE "
                                 "phases, train the latents and the transformer only")

    def handle(self, *args: Any, workdir: Path, out: Path, fresh: bool, vae_from: Path | None,
               **options: Any) -> None:
        given = {f.name: options[f.name] for f in fields(Plan) if options.get(f.name) is not None}
        plan = replace(Plan(), **given)
        if fresh:
            for name in ("checkpoint.pt", "latents.pt"):
                (workdir / name).unlink(missing_ok=True)
        try:
            trainer = Trainer(plan, workdir, report=lambda line: self.stdout.write(line), vae_from=vae_from)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        trainer.run(progress=lambda **kw: tqdm(**kw, file=self.stderr._out, dynamic_ncols=True))
        summary = trainer.export(out)
        for phase, losses in summary["loss_every_50_steps"].items():
            self.stdout.write(f"{phase} loss by step: {loss_curve(losses)}")
        self.stdout.write(f"minutes: {summary['minutes']}; weights written to {out}")
