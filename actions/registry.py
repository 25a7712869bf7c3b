"""The one registry of mitigation actions. Each action is declared once, as data: what it is
called, its default key, what it applies to, whether it changes production, how its confirmation
names the exact target, its inputs, a preview of what it will send, and its run.

Where actions come from is not the registry's business: `kubernetes_actions(control)`,
`config_actions(configs)` and `demo_actions(control)` each build `Action`s, and all go into one
`Registry`. The UI asks the registry for the actions valid for the selection (`for_target`) and
hands the chosen one to the `Dispatcher`, the only code that runs anything.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from actions.errors import ActionRefused, InvalidInputError, NotApplicableError
from actions.output import Output
from tui.core.confirm import ConfirmRequest, Field

Scope = Literal["global", "service", "deployment", "pod", "log_line"]
SCOPES: tuple[str, ...] = get_args(Scope)

# The target fields an action of each scope needs (the namespace too: a name alone is ambiguous).
SCOPE_NEEDS: dict[str, frozenset[str]] = {
    "global": frozenset(),
    "service": frozenset({"service"}),
    "deployment": frozenset({"namespace", "deployment"}),
    "pod": frozenset({"namespace", "pod"}),
    "log_line": frozenset({"log_line"}),
}


def scope_of(text: str) -> Scope:
    """A scope from the config's spelling ("log line" is "log_line")."""
    value = text.strip().replace(" ", "_")
    if value not in SCOPES:
        raise ValueError(f"unknown scope {text!r} (one of {', '.join(SCOPES)})")
    return value  # type: ignore[return-value]


@dataclass(frozen=True)
class Target:
    """What is selected on the screen when an action is asked for.

    `kind` is the selection itself ("pod" on a pod row); the other fields say what it belongs to,
    so a pod row also offers its deployment's actions (`deployment` set). Absent is None.
    `deployment` names the pod's workload, and `workload_kind` says which it is: "deployment",
    or "statefulset" (the rollout actions act on either).
    `extra` carries what the confirmation may show: "replicas" and "revision" of a deployment,
    "text" of a log line.
    """

    kind: Scope = "global"
    context: str | None = None
    namespace: str | None = None
    name: str | None = None
    service: str | None = None
    pod: str | None = None
    deployment: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    workload_kind: str = "deployment"

    @classmethod
    def none(cls, context: str | None = None) -> Target:
        """Nothing selected: only global actions apply."""
        return cls("global", context=context)

    @classmethod
    def of_service(
        cls,
        service: str,
        *,
        context: str | None = None,
        namespace: str | None = None,
        deployment: str | None = None,
    ) -> Target:
        """A health row; `deployment`/`namespace` from its config link it to the cluster."""
        return cls("service", context, namespace, service, service=service, deployment=deployment)

    @classmethod
    def of_deployment(
        cls,
        context: str | None,
        namespace: str,
        deployment: str,
        *,
        replicas: int | None = None,
        revision: int | None = None,
        workload_kind: str = "deployment",
    ) -> Target:
        extra = {k: v for k, v in (("replicas", replicas), ("revision", revision)) if v is not None}
        return cls(
            "deployment",
            context,
            namespace,
            deployment,
            deployment=deployment,
            extra=extra,
            workload_kind=workload_kind,
        )

    @classmethod
    def of_pod(
        cls,
        context: str | None,
        namespace: str,
        pod: str,
        *,
        deployment: str | None = None,
        workload_kind: str = "deployment",
    ) -> Target:
        """A pod row; `deployment` is its owning workload (of `workload_kind`), when known."""
        return cls(
            "pod", context, namespace, pod, pod=pod, deployment=deployment, workload_kind=workload_kind
        )

    @classmethod
    def of_log_line(
        cls,
        text: str,
        *,
        context: str | None = None,
        namespace: str | None = None,
        pod: str | None = None,
        service: str | None = None,
        origin: str | None = None,
    ) -> Target:
        return cls(
            "log_line",
            context,
            namespace,
            origin or pod or service,
            service=service,
            pod=pod,
            extra={"text": text},
        )

    def has(self, need: str) -> bool:
        if need == "log_line":
            return self.kind == "log_line"
        return bool(getattr(self, need))

    def label(self, kind: Scope | None = None) -> str:
        """The selected thing of `kind` (default: the selection itself) as kubectl would name it:
        "deployment/web", "pod/web-0", "service/auth", "log line 'GET /x 502'"; "" when global."""
        kind = kind or self.kind
        if kind == "deployment":
            return f"{self.workload_kind}/{self.deployment}"
        if kind in ("pod", "service"):
            return f"{kind}/{getattr(self, kind)}"
        if kind == "log_line":
            text = " ".join(str(self.extra.get("text", "")).split())
            return f"log line {text[:60]!r}" if text else f"log line of {self.name or '?'}"
        return ""

    def as_data(self) -> dict[str, Any]:
        """The fields that are set, for the record."""
        out: dict[str, Any] = {"kind": self.kind}
        for name in ("context", "namespace", "name", "service", "pod", "deployment"):
            value = getattr(self, name)
            if value:
                out[name] = value
        if self.deployment and self.workload_kind != "deployment":
            out["workload_kind"] = self.workload_kind
        if self.extra:
            out["extra"] = {str(k): v for k, v in self.extra.items()}
        return out


@dataclass(frozen=True, slots=True)
class RunResult:
    """What one run did. `text` is one line: "deployment.apps/web restarted", "exit 1", "HTTP 503".
    The output itself goes to the run's `Output`."""

    ok: bool
    text: str = ""
    exit_code: int | None = None
    http_status: int | None = None
    # Facts about what the run did, for machines reading the record (data["details"] of the
    # outcome's event): the demo records the simulated time and call of each change, so that an
    # observer's simulation replays them.
    details: Mapping[str, Any] = field(default_factory=dict)
    # What the run set going and warroom follows to its end after the outcome is written (a
    # rollout after a restart, undo or scale); None: the outcome is the end.
    follow: Follow | None = None


@dataclass(frozen=True, slots=True)
class FollowEnd:
    """How a follow ended: `kind` "rollout_complete" or "rollout_stalled" (the record's kinds),
    `detail` one line ("3/3 updated and available"; the stall's reason), `data` for the record
    (the last status read, the counts)."""

    kind: str
    detail: str
    data: Mapping[str, Any] = field(default_factory=dict)


# A follow's run: it reports its progress ("rolling out 2/3") each time it changes, and returns
# how it ended; it is cancelled when warroom stops (the dispatcher records that as such).
FollowRun = Callable[[Callable[[str], None]], Awaitable[FollowEnd]]


@dataclass(frozen=True, slots=True)
class Follow:
    what: str  # "deployment/web"
    bound_s: float  # the longest warroom follows it (its own bound ends it as stalled)
    run: FollowRun


# The run of an action: the target, the checked inputs, and the Output to write what it printed
# or answered into. It returns a RunResult, and raises nothing for a failure of the outside
# system (that is RunResult(ok=False)); the dispatcher bounds it with the action's timeout.
Run = Callable[[Target, Mapping[str, Any], Output], Awaitable[RunResult]]
Preview = Callable[[Target, Mapping[str, Any]], str]
# A check that changes nothing (a Kubernetes server-side dry run): one line saying what the run
# would do, or raises. Shown in the confirmation; never recorded, never a dispatch.
DryRun = Callable[[Target, Mapping[str, Any]], Awaitable[str]]


def _no_fields(target: Target) -> tuple[Field, ...]:
    return ()


@dataclass(frozen=True, eq=False)
class Action:
    """One mitigation, declared once.

    `preview(target, inputs)` is what it will send, for the confirmation and the record: the
    argv, the HTTP request line, or the kubectl line equivalent to a Kubernetes call.
    `question(target)` is the confirmation text; the default names the action, the exact target
    and where it is (context, namespace). `fields(target)` are its inputs, with the current value
    as the default (replicas). `requires` adds target fields beyond those of the scope (a command
    using {context}); `guard(target)` returns a reason to refuse before anything is written.
    `secret_files` are files whose contents must never reach the record (its token file).
    `dry_run(target, inputs)`, where the system has one, says what the run would do without
    doing it (None for commands and HTTP requests).
    """

    id: str  # "k8s.rollout_restart", "config.kill-idle-db-connections", "demo.redis-failover"
    title: str  # "Rollout restart"
    scope: Scope
    run: Run
    preview: Preview
    key: str | None = None  # the default key; the UI's keymap may remap it by binding id
    dangerous: bool = True
    kind: str = "command"  # where it comes from: "kubernetes" | "command" | "http" | "demo"
    question: Callable[[Target], str] | None = None
    fields: Callable[[Target], tuple[Field, ...]] = _no_fields
    verb: str = "Run"  # the confirm button
    timeout_s: float = 30.0
    timeout_note: str = ""  # said after "no result in N s": "process group killed"
    requires: frozenset[str] = frozenset()
    guard: Callable[[Target], str | None] | None = None
    subject_text: Callable[[Target], str] | None = None  # overrides the default subject
    secret_files: tuple[str, ...] = ()
    description: str = ""  # one line for the action menu and help
    dry_run: DryRun | None = None
    # What the confirmation shows that the selection did not carry (a statefulset's replicas),
    # asked of the system when the key is pressed; the caller bounds it and, if it fails or
    # takes too long, confirms with the selection as it was.
    prepare: Callable[[Target], Awaitable[Target]] | None = None

    def __post_init__(self) -> None:
        if self.scope not in SCOPES:
            raise ValueError(f"action {self.id}: unknown scope {self.scope!r} (one of {', '.join(SCOPES)})")
        if not self.timeout_s > 0:
            raise ValueError(f"action {self.id}: timeout_s must be positive, got {self.timeout_s}")

    # ---- what it applies to ----------------------------------------------------------------
    @property
    def needs(self) -> frozenset[str]:
        return SCOPE_NEEDS[self.scope] | self.requires

    def refusal(self, target: Target) -> str | None:
        """Why this action cannot run on `target`, or None when it can."""
        for need in sorted(self.needs):
            if not target.has(need):
                what = "a log line" if need == "log_line" else f"a {need}"
                return f"{self.title} needs {what}; the selection has none"
        return self.guard(target) if self.guard is not None else None

    def applies_to(self, target: Target) -> bool:
        return self.refusal(target) is None

    def subject(self, target: Target) -> str:
        """The exact thing it acts on: "deployment/api-gateway", "pod/web-0", "service/auth"."""
        if self.subject_text is not None:
            return self.subject_text(target)
        return target.label(self.scope) or self.title

    def named(self, subject: str, joiner: str = ": ") -> str:
        """The title and its `subject`, unless the subject is the title itself (a global action):
        "Rollout restart: deployment/web" (the joiner as the sentence needs it), "Failover"."""
        return self.title if subject == self.title else f"{self.title}{joiner}{subject}"

    def where(self, target: Target) -> str:
        """ "context prod · namespace lomash-wood" (what is known of it)."""
        parts = []
        if target.context:
            parts.append(f"context {target.context}")
        if target.namespace and self.scope != "global":
            parts.append(f"namespace {target.namespace}")
        return " · ".join(parts)

    def confirm_text(self, target: Target) -> str:
        if self.question is not None:
            return self.question(target)
        where = self.where(target)
        return self.named(self.subject(target)) + (f" ({where})" if where else "") + "?"

    # ---- inputs ------------------------------------------------------------------------------
    def defaults(self, target: Target) -> dict[str, Any]:
        """The inputs as the confirmation first shows them."""
        out: dict[str, Any] = {}
        for f in self.fields(target):
            if f.kind == "int":
                try:
                    out[f.name] = int(f.default)
                except ValueError:
                    continue
            else:
                out[f.name] = f.default
        return out

    def check(self, target: Target, inputs: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The inputs, checked and converted; raises `NotApplicableError` when the action does not
        fit `target`, `InvalidInputError` for a missing, unknown or out-of-range input."""
        reason = self.refusal(target)
        if reason is not None:
            raise NotApplicableError(reason)
        given = dict(inputs or {})
        fields = {f.name: f for f in self.fields(target)}
        unknown = sorted(set(given) - set(fields))
        if unknown:
            raise InvalidInputError(f"{self.title}: unknown input {unknown[0]!r}")
        out: dict[str, Any] = {}
        for name, f in fields.items():
            if name not in given:
                raise InvalidInputError(f"{self.title}: {f.label}: missing")
            out[name] = _checked(f, given[name])
        return out

    # ---- the confirmation ----------------------------------------------------------------------
    def confirmation(self, target: Target) -> ConfirmRequest:
        """What the confirm modal shows; raises `NotApplicableError` when it does not fit."""
        reason = self.refusal(target)
        if reason is not None:
            raise NotApplicableError(reason)
        return ConfirmRequest(
            title=self.title,
            target=self.subject(target),
            where=self.where(target),
            preview=self.preview(target, self.defaults(target)),
            question=self.confirm_text(target),
            verb=self.verb,
            fields=self.fields(target),
            dangerous=self.dangerous,
            preview_for=lambda inputs: self.preview_of(target, inputs),
        )

    def preview_of(self, target: Target, inputs: Mapping[str, Any]) -> str:
        """What the dispatcher will record and run for these inputs as typed: the same check and
        the same preview it uses, so the dialog cannot show one thing and run another. Raises
        ValueError naming what is wrong with them."""
        try:
            return self.preview(target, self.check(target, inputs))
        except ActionRefused as err:
            raise ValueError(str(err)) from None


def _checked(f: Field, value: Any) -> Any:
    if f.kind == "int":
        if isinstance(value, bool):
            raise InvalidInputError(f"{f.label}: expected a whole number, got {value!r}")
        if isinstance(value, str):
            try:
                value = int(value.strip())
            except ValueError:
                raise InvalidInputError(f"{f.label}: expected a whole number, got {value!r}") from None
        if not isinstance(value, int):
            raise InvalidInputError(f"{f.label}: expected a whole number, got {value!r}")
        if (f.minimum is not None and value < f.minimum) or (f.maximum is not None and value > f.maximum):
            low = "" if f.minimum is None else f.minimum
            high = "" if f.maximum is None else f.maximum
            raise InvalidInputError(f"{f.label}: expected {low}–{high}, got {value}")
        return value
    if not isinstance(value, str):
        raise InvalidInputError(f"{f.label}: expected text, got {value!r}")
    return value.strip()


class Registry:
    """Every action, by id, in the order registered (the action menu's order)."""

    def __init__(self, actions: Iterable[Action] = ()) -> None:
        self._actions: dict[str, Action] = {}
        self.extend(actions)

    def register(self, action: Action) -> Action:
        if action.id in self._actions:
            raise ValueError(f"action id {action.id!r} is registered twice")
        self._actions[action.id] = action
        return action

    def extend(self, actions: Iterable[Action]) -> Registry:
        for action in actions:
            self.register(action)
        return self

    def get(self, action_id: str) -> Action:
        """The action; KeyError naming the id when there is none."""
        try:
            return self._actions[action_id]
        except KeyError:
            raise KeyError(f"no action {action_id!r}") from None

    def for_target(self, target: Target) -> tuple[Action, ...]:
        """The actions valid for this selection (the action menu)."""
        return tuple(a for a in self._actions.values() if a.applies_to(target))

    def secret_files(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p for a in self._actions.values() for p in a.secret_files))

    def __iter__(self) -> Iterator[Action]:
        return iter(tuple(self._actions.values()))

    def __len__(self) -> int:
        return len(self._actions)

    def __contains__(self, action_id: object) -> bool:
        return action_id in self._actions


__all__ = [
    "SCOPES",
    "Action",
    "DryRun",
    "Follow",
    "FollowEnd",
    "FollowRun",
    "Preview",
    "Registry",
    "Run",
    "RunResult",
    "Scope",
    "Target",
    "scope_of",
]
