#!/usr/bin/env python3
"""Write a synthetic monorepo of N Score workloads for benchmarking.

Each workload has 2 service ports, 3 variables with placeholders, a file with placeholders,
liveness/readiness probes, cpu/memory limits, a private postgres and a redis shared by `id`.
"""

import sys
from pathlib import Path

TEMPLATE = """apiVersion: score.dev/v1b1
metadata:
  name: svc-{i:04d}
  annotations:
    team: team-{team}
service:
  ports:
    http:
      port: 80
      targetPort: 8080
    metrics:
      port: 9090
containers:
  app:
    image: registry.example.com/svc-{i:04d}:1.{i}.0
    variables:
      DATABASE_URL: postgres://${{resources.db.username}}:${{resources.db.password}}@${{resources.db.host}}:${{resources.db.port}}/${{resources.db.database}}
      REDIS_HOST: ${{resources.cache.host}}
      SERVICE_NAME: ${{metadata.name}}
    files:
      /etc/app/config.yaml:
        mode: "0644"
        content: |
          service: ${{metadata.name}}
          cache: ${{resources.cache.host}}:${{resources.cache.port}}
          database: ${{resources.db.host}}
    resources:
      limits:
        cpu: 500m
        memory: 256Mi
      requests:
        cpu: 100m
        memory: 128Mi
    livenessProbe:
      httpGet:
        path: /healthz
        port: 8080
    readinessProbe:
      exec:
        command: ["/bin/check", "--ready"]
resources:
  db:
    type: postgres
  cache:
    type: redis
    id: shared-cache
"""


def main():
    n, out = int(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (out / f"svc-{i:04d}.score.yaml").write_text(TEMPLATE.format(i=i, team=i % 7))


if __name__ == "__main__":
    main()
