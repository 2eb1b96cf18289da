"""API request cost of bearer-token auth against session auth (the baseline), side by side.

Workload: one user in 50 projects; GET /api/v1/projects (a page of 20 with roles) and
GET /api/v1/profile, alternating the two auth methods request by request so machine noise
hits both alike.
"""

import time

from _harness import django_environment, percentiles, write_result

REQUESTS = 400
PATHS = ["/api/v1/projects", "/api/v1/profile"]


def main() -> None:
    with django_environment():
        from django.test import Client

        from accounts.services import token_create, user_signup
        from projects.services import project_create

        user = user_signup(username="bench", email="bench@example.com",
                           password="a-long-bench-password")
        for index in range(50):
            project_create(user=user, name=f"Project {index}")
        _, raw = token_create(user=user, name="bench")
        token_client = Client(headers={"authorization": f"Bearer {raw}"})
        session_client = Client()
        session_client.force_login(user)

        timings: dict[str, dict[str, list[float]]] = {
            "token": {p: [] for p in PATHS}, "session": {p: [] for p in PATHS}}
        for _ in range(20):  # warm-up
            for client in (token_client, session_client):
                for path in PATHS:
                    client.get(path)
        for index in range(REQUESTS):
            pairs = [("token", token_client), ("session", session_client)]
            for name, client in pairs if index % 2 else reversed(pairs):
                for path in PATHS:
                    started = time.perf_counter()
                    response = client.get(path)
                    timings[name][path].append(time.perf_counter() - started)
                    assert response.status_code == 200, response.content

        metrics = {path: percentiles(timings["token"][path]) for path in PATHS}
        baseline = {path: percentiles(timings["session"][path]) for path in PATHS}
        ratios = {f"{path} p50 token/session": round(
            metrics[path]["p50_ms"] / baseline[path]["p50_ms"], 3) for path in PATHS}
        write_result("api_auth", {"requests_per_path": REQUESTS, "projects": 50, "page_size": 20,
                                  "paths": PATHS},
                     metrics, "session auth", baseline, ratios)
        print(f"{'path':<20} {'token p50':>10} {'p95':>8} {'session p50':>12} {'p95':>8} "
              f"{'ratio':>6}")
        for path in PATHS:
            t, s = metrics[path], baseline[path]
            print(f"{path:<20} {t['p50_ms']:>9.2f}ms {t['p95_ms']:>6.2f}ms "
                  f"{s['p50_ms']:>10.2f}ms {s['p95_ms']:>6.2f}ms "
                  f"{ratios[f'{path} p50 token/session']:>6.2f}")


if __name__ == "__main__":
    main()
