"""Kubernetes, split by role: `connection` (kubeconfig, client, one-line errors), `status` (what
`kubectl get pods` shows, pure), `selector` (label selectors), `pods` (the pods panel's source),
`logs` (pod logs for the log tail) and `control` (the mitigations: only `actions/` and the
wiring import it). None of them imports Textual."""
