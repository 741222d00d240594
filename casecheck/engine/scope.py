"""Which children a rule applies to at the as-of date, and since when: every scope key in one place.

Each key is one entry of SCOPE_KEYS: the tables it reads, its evaluation for every child at once
(at the as-of date, and at any dates: a per-event deadline is checked against the rule's scope on
the day it falls), and its words for `rules explain`. The Scope model below lists the same keys
for rule files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeAlias

from pydantic import Field, model_validator

from casecheck.calendar import Duration
from casecheck.engine import care_leavers, statuses
from casecheck.engine.context import Context, spells
from casecheck.engine.kinds.common import Problem
from casecheck.engine.language import Strict
from casecheck.engine.statuses import STATUSES, StatusRef
from casecheck.lazy import np, pd

# A scope result: index PERSON_ID (every child), columns `in` (bool) and `since` (when the child
# came into scope; NaT when that is unknown or has no date, such as a flag).
ScopeFrame: TypeAlias = "pd.DataFrame"

# Days to evaluate a scope at: columns PERSON_ID and `day` (a date at midnight), one row each.
Pairs: TypeAlias = "pd.DataFrame"

FLAGS = ("allocated", "looked_after", "uasc", "age_estimated")


class Scope(Strict):
    """Which children a rule applies to at the as-of date; keys in one mapping must all hold."""

    allocated: bool | None = None  # an allocated worker at the as-of date
    looked_after: bool | None = None  # an open placement at the as-of date
    uasc: bool | None = None  # UASC flag
    age_estimated: bool | None = None  # AGE_ESTIMATED flag
    missing_within: Duration | None = None  # a missing episode started within this long
    age_at_least: int | None = Field(default=None, ge=0, le=25)
    age_under: int | None = Field(default=None, ge=0, le=26)
    open_for: Duration | None = None  # allocated without a break for at least this long
    care_leaver: care_leavers.CareLeaver | None = None  # eligible, relevant, former relevant
    status: StatusRef | None = None  # a named status (on_cp_plan) or {table, start, end, where}
    all_of: list[Scope] | None = None
    any_of: list[Scope] | None = None

    @model_validator(mode="before")
    @classmethod
    def _atom(cls, data: Any) -> Any:
        if isinstance(data, str):
            if data in FLAGS:
                return {data: True}
            if data in STATUSES:
                return {"status": data}
            raise ValueError(
                f'unknown scope "{data}" (write allocated, looked_after, uasc, age_estimated, '
                f"{', '.join(s for s in STATUSES if s not in FLAGS)}, or a mapping such as "
                "missing_within: 12 months)"
            )
        return data

    @model_validator(mode="after")
    def _not_empty(self) -> Scope:
        if not self.model_fields_set:
            raise ValueError("a scope needs at least one condition")
        return self


def _frame(ctx: Context, inside: pd.Series, since: pd.Series | None = None) -> ScopeFrame:
    ids = ctx.person_ids
    flags = inside.reindex(ids, fill_value=False).astype(bool)
    if since is None:
        when = pd.Series(pd.NaT, index=ids, dtype="datetime64[ns]")
    else:
        when = since.reindex(ids).astype("datetime64[ns]").where(flags)
    return pd.DataFrame({"in": flags.to_numpy(), "since": when.to_numpy()}, index=ids)


def _allocated(ctx: Context) -> ScopeFrame:
    now = ctx.current_allocation
    return _frame(ctx, pd.Series(True, index=now.index), now["spell_start"])


def _status(ctx: Context, ref: StatusRef) -> ScopeFrame:
    """In scope while a row of the status covers the as-of date, since its spell began."""
    now = statuses.current(ctx, ref)
    return _frame(ctx, pd.Series(True, index=now.index), now["spell_start"])


def _flag(column: str) -> Callable[[Context], ScopeFrame]:
    def evaluate(ctx: Context) -> ScopeFrame:
        return _frame(ctx, ctx.persons[column].fillna(False).astype(bool))

    return evaluate


def _missing_within(ctx: Context, scope: Scope) -> ScopeFrame:
    assert scope.missing_within is not None
    start = ctx.before(scope.missing_within)
    episodes = ctx.table("missing_episodes")
    episodes = episodes[episodes["START_DATE"] < ctx.end_of_today]
    recent = episodes[episodes["START_DATE"] >= start]
    # Each episode keeps the child in scope for `missing_within` after it starts; episodes whose
    # periods overlap or follow on make one continuous run, and the child has been in scope since
    # the start of the run that holds at the as-of date (which may be before `start`).
    began = episodes["START_DATE"].dt.normalize()
    periods = pd.DataFrame(
        {
            "PERSON_ID": episodes["PERSON_ID"],
            "START_DATE": began,
            "END_DATE": ctx.calendar.add(began, scope.missing_within),
        }
    )
    runs = spells(periods, "START_DATE", "END_DATE")
    first = runs.loc[recent.index].groupby("PERSON_ID")["spell_start"].max()
    return _frame(ctx, pd.Series(True, index=first.index), first)


def _birthday(ctx: Context, years: int) -> pd.Series:
    dob = ctx.persons["DATE_OF_BIRTH"]
    return dob + pd.DateOffset(years=years)


def _age_at_least(ctx: Context, scope: Scope) -> ScopeFrame:
    assert scope.age_at_least is not None
    reached = _birthday(ctx, scope.age_at_least)
    return _frame(ctx, reached <= ctx.today, reached)


def _age_under(ctx: Context, scope: Scope) -> ScopeFrame:
    assert scope.age_under is not None
    return _frame(ctx, _birthday(ctx, scope.age_under) > ctx.today)


def _open_for(ctx: Context, scope: Scope) -> ScopeFrame:
    assert scope.open_for is not None
    now = ctx.current_allocation
    reached = ctx.calendar.add(now["spell_start"], scope.open_for)
    return _frame(ctx, reached <= ctx.today, reached)


def _care_leaver(ctx: Context, scope: Scope) -> ScopeFrame:
    assert scope.care_leaver is not None
    inside, since = care_leavers.evaluate(ctx, scope.care_leaver)
    return _frame(ctx, inside, since)


def _care_leaver_at(ctx: Context, scope: Scope, pairs: Pairs) -> pd.Series:
    assert scope.care_leaver is not None
    held, _ = care_leavers.status_at(ctx, scope.care_leaver, pairs["PERSON_ID"], pairs["day"])
    return pd.Series(held, index=pairs.index)


def _all(frames: list[ScopeFrame], ctx: Context) -> ScopeFrame:
    inside = pd.concat([f["in"] for f in frames], axis=1).all(axis=1)
    since = pd.concat([f["since"] for f in frames], axis=1).max(axis=1)
    return _frame(ctx, inside, since)


def both(first: ScopeFrame, second: ScopeFrame, ctx: Context) -> ScopeFrame:
    """Children in both scopes, since the later of their two dates (as `all_of`)."""
    return _all([first, second], ctx)


def _any(frames: list[ScopeFrame], ctx: Context) -> ScopeFrame:
    inside = pd.concat([f["in"] for f in frames], axis=1).any(axis=1)
    since = pd.concat([f["since"].where(f["in"]) for f in frames], axis=1).min(axis=1)
    # A branch that holds with no date (a flag such as UASC) holds from the start, so it comes
    # before any dated branch: the child is in scope with no since-date, not from the later one.
    undated = pd.concat([f["in"] & f["since"].isna() for f in frames], axis=1).any(axis=1)
    return _frame(ctx, inside, since.where(~undated))


# --- at any day ---------------------------------------------------------------------------------
def _covered(pairs: Pairs, periods: pd.DataFrame) -> pd.Series:
    """Whether a period of the child's (`start` to `end`, both days included; `end` NaT: open)
    covers each pair's day."""
    spans = periods[["PERSON_ID", "start", "end"]].assign(
        start=periods["start"].dt.normalize(), end=periods["end"].dt.normalize()
    )
    both = pairs.reset_index(names="_pair").merge(spans, on="PERSON_ID")
    inside = (both["start"] <= both["day"]) & (both["end"].isna() | (both["day"] <= both["end"]))
    hit = both.loc[inside.to_numpy(), "_pair"].unique()
    return pd.Series(pairs.index.isin(hit), index=pairs.index)


def _spell_periods(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[["PERSON_ID", "spell_start", "spell_end"]].rename(
        columns={"spell_start": "start", "spell_end": "end"}
    )


def _status_at(ctx: Context, scope: Scope, pairs: Pairs) -> pd.Series:
    return _covered(pairs, _spell_periods(statuses.spells_of(ctx, scope.status or "")))


def _allocated_at(ctx: Context, scope: Scope, pairs: Pairs) -> pd.Series:
    return _covered(pairs, _spell_periods(ctx.allocation_spells))


def _looked_after_at(ctx: Context, scope: Scope, pairs: Pairs) -> pd.Series:
    return _covered(pairs, _spell_periods(ctx.placement_spells))


def _missing_within_at(ctx: Context, scope: Scope, pairs: Pairs) -> pd.Series:
    """An episode started in the `missing_within` before the day (the day included), as at the
    as-of date: `missing_within` back from the day to the day."""
    assert scope.missing_within is not None
    episodes = ctx.table("missing_episodes")
    episodes = episodes[episodes["START_DATE"] < ctx.end_of_today]
    periods = pd.DataFrame(
        {
            "PERSON_ID": pairs["PERSON_ID"],
            "start": ctx.calendar.subtract(pairs["day"], scope.missing_within),
            "end": pairs["day"],
        }
    )
    # Each day looks back to its own start: compare every episode of the child with it.
    both = periods.reset_index(names="_pair").merge(
        pd.DataFrame(
            {"PERSON_ID": episodes["PERSON_ID"], "began": episodes["START_DATE"].dt.normalize()}
        ),
        on="PERSON_ID",
    )
    inside = (both["began"] >= both["start"]) & (both["began"] <= both["end"])
    hit = both.loc[inside.to_numpy(), "_pair"].unique()
    return pd.Series(pairs.index.isin(hit), index=pairs.index)


def _age_at_least_at(ctx: Context, scope: Scope, pairs: Pairs) -> pd.Series:
    assert scope.age_at_least is not None
    reached = _birthday(ctx, scope.age_at_least).reindex(pairs["PERSON_ID"]).to_numpy()
    return pd.Series(reached <= pairs["day"].to_numpy(), index=pairs.index)


def _age_under_at(ctx: Context, scope: Scope, pairs: Pairs) -> pd.Series:
    assert scope.age_under is not None
    reached = _birthday(ctx, scope.age_under).reindex(pairs["PERSON_ID"]).to_numpy()
    return pd.Series(reached > pairs["day"].to_numpy(), index=pairs.index)


def _open_for_at(ctx: Context, scope: Scope, pairs: Pairs) -> pd.Series:
    assert scope.open_for is not None
    spells_ = _spell_periods(ctx.allocation_spells)
    # Open for long enough from the day the spell has lasted `open_for`, to its end.
    reached = spells_.assign(
        start=ctx.calendar.add(spells_["start"].dt.normalize(), scope.open_for)
    )
    return _covered(pairs, reached)


def holds_at(scope: Scope | None, ctx: Context, persons: pd.Series, days: pd.Series) -> np.ndarray:
    """Whether each child was (or, by what the export shows, will be) in scope on each day.

    `persons` and `days` are row by row; a day's time is ignored. A condition that does not
    change with the day (a flag) is read at the as-of date.
    """
    pairs = pd.DataFrame(
        {
            "PERSON_ID": persons.array,
            "day": pd.Series(days.to_numpy(dtype="datetime64[ns]")).dt.normalize().to_numpy(),
        }
    )
    if scope is None or pairs.empty:
        return np.ones(len(pairs), dtype=bool)
    return _holds_at(scope, ctx, pairs).to_numpy(dtype=bool)


def _holds_at(scope: Scope, ctx: Context, pairs: Pairs) -> pd.Series:
    ok = pd.Series(True, index=pairs.index)
    for key in sorted(scope.model_fields_set):
        value = getattr(scope, key)
        if key == "all_of":
            for sub in value:
                ok &= _holds_at(sub, ctx, pairs)
            continue
        if key == "any_of":
            some = pd.Series(False, index=pairs.index)
            for sub in value:
                some |= _holds_at(sub, ctx, pairs)
            ok &= some
            continue
        entry = SCOPE_KEYS[key]
        if entry.at is None:
            now = entry.evaluate(ctx, scope)["in"]
            held = pd.Series(now.reindex(pairs["PERSON_ID"]).fillna(False).to_numpy(dtype=bool))
        else:
            held = entry.at(ctx, scope, pairs)
        ok &= ~held if value is False else held
    return ok


@dataclass(frozen=True)
class ScopeKey:
    """One scope key: what it reads, how it is evaluated, and its words (value -> text)."""

    tables: tuple[str, ...]  # tables, or `table.COLUMN`s
    evaluate: Callable[[Context, Scope], ScopeFrame]
    words: Callable[[Any], str]
    # Whether the condition held for each (PERSON_ID, day) pair, as the export shows it at the
    # as-of date (an open allocation goes on; a birthday is known ahead). None: a condition that
    # does not change with the day (a flag), read at the as-of date.
    at: Callable[[Context, Scope, Pairs], pd.Series] | None = None
    reads: Callable[[Any], Iterable[str]] | None = None  # tables that depend on the value
    problems: Callable[[Any], list[Problem]] | None = None  # what the value names, if unknown


def _flag_words(yes: str, no: str) -> Callable[[Any], str]:
    return lambda value: yes if value else no


SCOPE_KEYS: dict[str, ScopeKey] = {
    "allocated": ScopeKey(
        ("allocations",),
        lambda ctx, s: _allocated(ctx),
        _flag_words("currently allocated", "not currently allocated"),
        at=_allocated_at,
    ),
    "looked_after": ScopeKey(
        ("placements",),
        lambda ctx, s: _status(ctx, "looked_after"),
        _flag_words("looked after (an open placement)", "not looked after"),
        at=_looked_after_at,
    ),
    "uasc": ScopeKey(
        ("persons.UASC",), lambda ctx, s: _flag("UASC")(ctx), _flag_words("UASC", "not UASC")
    ),
    "age_estimated": ScopeKey(
        ("persons.AGE_ESTIMATED",),
        lambda ctx, s: _flag("AGE_ESTIMATED")(ctx),
        _flag_words("age estimated or disputed", "age not estimated"),
    ),
    "missing_within": ScopeKey(
        ("missing_episodes",),
        _missing_within,
        lambda value: f"had a missing episode in the last {value}",
        at=_missing_within_at,
    ),
    "age_at_least": ScopeKey(
        (), _age_at_least, lambda value: f"aged {value} or over", at=_age_at_least_at
    ),
    "age_under": ScopeKey((), _age_under, lambda value: f"aged under {value}", at=_age_under_at),
    "open_for": ScopeKey(
        ("allocations",),
        _open_for,
        lambda value: f"allocated for at least {value}",
        at=_open_for_at,
    ),
    "care_leaver": ScopeKey(("placements",), _care_leaver, care_leavers.words, at=_care_leaver_at),
    "status": ScopeKey(
        (),
        lambda ctx, s: _status(ctx, s.status or ""),
        lambda value: statuses.status_of(value).words,
        at=_status_at,
        reads=statuses.needs,
        problems=statuses.problems,
    ),
}


def needs(scope: Scope | None) -> set[str]:
    """The tables (or `table.COLUMN`s) a scope reads."""
    if scope is None:
        return set()
    out: set[str] = set()
    for key in scope.model_fields_set:
        if key in ("all_of", "any_of"):
            for sub in getattr(scope, key) or []:
                out |= needs(sub)
        else:
            entry = SCOPE_KEYS[key]
            out |= set(entry.reads(getattr(scope, key)) if entry.reads else entry.tables)
    return out


def problems(scope: Scope | None, at: tuple[str | int, ...] = ("scope",)) -> list[Problem]:
    """What a scope names that does not exist (a status's table or columns), with where."""
    if scope is None:
        return []
    out: list[Problem] = []
    for key in sorted(scope.model_fields_set):
        value = getattr(scope, key)
        if key in ("all_of", "any_of"):
            for i, sub in enumerate(value):
                out += problems(sub, (*at, key, i))
        elif (check := SCOPE_KEYS[key].problems) is not None:
            out += [Problem((*at, key, *p.loc), p.what, p.fix) for p in check(value)]
    return out


def evaluate(scope: Scope | None, ctx: Context) -> ScopeFrame:
    """Every child's in-scope flag and since-date; no scope means every child, since birth.

    Worked out once per run for each distinct scope (many rules share one: looked after,
    allocated), and shared: frames are copy-on-write, so no rule can change another's.
    """
    key = "" if scope is None else scope.model_dump_json(exclude_unset=True)
    if key not in ctx.scopes:
        ctx.scopes[key] = _evaluate(scope, ctx)
    return ctx.scopes[key]


def _evaluate(scope: Scope | None, ctx: Context) -> ScopeFrame:
    if scope is None:
        return _frame(ctx, pd.Series(True, index=ctx.person_ids))
    frames: list[ScopeFrame] = []
    for key in sorted(scope.model_fields_set):
        value = getattr(scope, key)
        if key == "all_of":
            frames.append(_all([evaluate(s, ctx) for s in value], ctx))
        elif key == "any_of":
            frames.append(_any([evaluate(s, ctx) for s in value], ctx))
        else:
            frame = SCOPE_KEYS[key].evaluate(ctx, scope)
            if value is False:
                frame = _frame(ctx, ~frame["in"])
            frames.append(frame)
    return frames[0] if len(frames) == 1 else _all(frames, ctx)


def scope_words(scope: Scope | None) -> str:
    """'currently allocated, and (UASC or had a missing episode in the last 12 months)'."""
    if scope is None:
        return "every child in the export"
    parts: list[str] = []
    for key in sorted(scope.model_fields_set):
        value = getattr(scope, key)
        if key == "all_of":
            parts.append("(" + " and ".join(scope_words(s) for s in value) + ")")
        elif key == "any_of":
            parts.append("(" + " or ".join(scope_words(s) for s in value) + ")")
        else:
            parts.append(SCOPE_KEYS[key].words(value))
    return ", and ".join(parts)
