"""The audit: what happened and whether it still holds, read from the event store.

- `history`: a subject's ordered events (and the record of every audit read);
  `views` decides what a reader sees of them (pay, 360° anonymity).
- `integrity`: the hash chain verified; `chain_backfill` chains an older install.
- `reevaluation` (+ `reevaluation_processes`, `decision_checks`): a recorded decision
  recomputed from its recorded inputs and policy versions.
- `time_travel`: an aggregate at a version or moment, a read model as it was then.
- `what_if`: a draft policy against everyone before it is published.
- `projection_check`: the read models rebuilt and compared with the live ones.
- `workflow_replay`: running workflow histories replayed against the current code.
- `index`: what there is to audit (from `projections.audit_queries`).

Each takes its collaborators (the store's applications, the read pool, the policy
service, the history) explicitly; `careerflow.engine` builds them."""
