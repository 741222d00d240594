"""Care leavers: eligible, relevant and former relevant children, from the placements history.

Children Act 1989 s.19B and CPPCR reg 40: a child is an *eligible* child when aged 16 or 17 and
looked after, having been looked after for at least 13 weeks in total since the age of 14,
ending after the age of 16 (short-break series, reg 48, do not count). A child who qualified so
and is no longer looked after before 18 is a *relevant* child (s.23A); from 18 to 21 they are a
*former relevant* child (s.23C). All from each child's periods of care, every child at once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import Field, model_validator

from casecheck.engine.context import Context, spells
from casecheck.engine.kinds.common import where, where_words
from casecheck.engine.language import Strict, Where
from casecheck.lazy import np, pd

Status = Literal["eligible", "relevant", "former_relevant"]
STATUS_WORDS = {
    "eligible": "an eligible child (16 or 17, looked after, qualified)",
    "relevant": "a relevant child (16 or 17, qualified, no longer looked after)",
    "former_relevant": "a former relevant child (18 to 20, qualified before 18)",
}
QUALIFYING = dt.timedelta(weeks=13)  # looked after since the 14th birthday, in total
FROM_AGE, QUALIFIED_AT, ADULT, UNTIL_AGE = 14, 16, 18, 21


class CareLeaver(Strict):
    """`care_leaver: [eligible, relevant]`, or with the placements that count:
    `care_leaver: {status: [...], placements: {PLACEMENT_TYPE: {not: [Short break]}}}`."""

    status: list[Status] = Field(min_length=1)
    placements: Where = Field(default_factory=dict)  # only placements matching count as care

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, data: Any) -> Any:
        if isinstance(data, list):
            return {"status": data}
        if isinstance(data, str):
            return {"status": [data]}
        return data


def words(value: CareLeaver) -> str:
    which = " or ".join(STATUS_WORDS[s] for s in value.status)
    counted = where_words(value.placements).removeprefix(", where ")
    return (
        f"a care leaver, from the day they qualified (16 or over, looked after, 13 weeks looked "
        f"after since 14): {which}" + (f"; counting placements where {counted}" if counted else "")
    )


def _birthday(ctx: Context, years: int) -> pd.Series:
    born: pd.Series = ctx.persons["DATE_OF_BIRTH"].dt.normalize()
    return born + pd.DateOffset(years=years)


def care_spells(ctx: Context, value: CareLeaver) -> pd.DataFrame:
    """Each child's periods of care made of the placements that count, as known at the as-of
    date (an open one goes on): PERSON_ID, start, end (the last day; NaT while open)."""
    rows = where(ctx.table("placements"), value.placements, ctx.calendar)
    rows = rows[rows["START_DATE"] < ctx.end_of_today]
    joined = spells(rows, "START_DATE", "END_DATE", ties=("PLACEMENT_ID",), handover=ctx.handover)
    out = joined[["PERSON_ID", "spell_start", "spell_end"]].drop_duplicates()
    return pd.DataFrame(
        {
            "PERSON_ID": out["PERSON_ID"].array,
            "start": out["spell_start"].dt.normalize().to_numpy(),
            "end": out["spell_end"].dt.normalize().to_numpy(),
        }
    )


def qualified(ctx: Context, care: pd.DataFrame) -> pd.Series:
    """The day each child qualified (by PERSON_ID; NaT: not by 18): the first day, at 16 or
    over and looked after, on which their days looked after since the 14th birthday reach 13
    weeks. A day counts from a period's start to its end (an end on the start day: none)."""
    ids = ctx.person_ids
    if care.empty:
        return pd.Series(pd.NaT, index=ids, dtype="datetime64[ns]")
    b14 = _birthday(ctx, FROM_AGE).reindex(care["PERSON_ID"]).to_numpy()
    b16 = _birthday(ctx, QUALIFIED_AT).reindex(care["PERSON_ID"]).to_numpy()
    far = pd.Timestamp("2262-01-01")
    start = np.maximum(care["start"].to_numpy(), b14)
    end = care["end"].fillna(far).to_numpy()
    length = np.maximum(end - start, np.timedelta64(0, "ns"))
    frame = pd.DataFrame(
        {"PERSON_ID": care["PERSON_ID"], "start": start, "end": end, "length": length, "b16": b16}
    ).sort_values(["PERSON_ID", "start"], kind="stable")
    before = frame.groupby("PERSON_ID", sort=False)["length"].cumsum() - frame["length"]
    # The day the 13 weeks are reached, in the period that reaches them.
    reach = frame["start"] + (QUALIFYING - before)
    reaches = (before < QUALIFYING) & (before + frame["length"] >= QUALIFYING)
    reached = reach.where(reaches).groupby(frame["PERSON_ID"], sort=False).transform("min")
    # Then the first day from it (and from 16) in care: this period's, or a later one's.
    from_day = pd.concat([reached, frame["b16"]], axis=1).max(axis=1)
    candidate = pd.concat([frame["start"], from_day], axis=1).max(axis=1)
    ok = reached.notna() & (frame["end"] >= from_day)
    first = candidate.where(ok).groupby(frame["PERSON_ID"]).min()
    born18 = _birthday(ctx, ADULT).reindex(first.index)
    out = first.where(first < born18)
    return out.reindex(ids).astype("datetime64[ns]")


def _looked_after(care: pd.DataFrame, persons: pd.Series, days: pd.Series) -> np.ndarray:
    pairs = pd.DataFrame({"PERSON_ID": persons.array, "day": days.to_numpy()})
    both = pairs.reset_index(names="_pair").merge(care, on="PERSON_ID")
    inside = (both["start"] <= both["day"]) & (both["end"].isna() | (both["day"] <= both["end"]))
    hit = both.loc[inside.to_numpy(), "_pair"].unique()
    return np.asarray(pairs.index.isin(hit), dtype=bool)


def status_at(
    ctx: Context, value: CareLeaver, persons: pd.Series, days: pd.Series
) -> tuple[np.ndarray, np.ndarray]:
    """Whether each child held one of the statuses on each day, and the day they qualified."""
    care = care_spells(ctx, value)
    q = qualified(ctx, care)
    day = pd.Series(days.to_numpy(dtype="datetime64[ns]")).dt.normalize().to_numpy()
    when = q.reindex(persons.array).to_numpy()
    b18 = _birthday(ctx, ADULT).reindex(persons.array).to_numpy()
    b21 = _birthday(ctx, UNTIL_AGE).reindex(persons.array).to_numpy()
    child = (~np.isnat(when)) & (when <= day) & (day < b18)
    cared = _looked_after(care, persons, pd.Series(day))
    held = {
        "eligible": child & cared,
        "relevant": child & ~cared,
        "former_relevant": (~np.isnat(when)) & (b18 <= day) & (day < b21),
    }
    out = np.zeros(len(day), dtype=bool)
    for status in value.status:
        out |= held[status]
    return out, when


def evaluate(ctx: Context, value: CareLeaver) -> tuple[pd.Series, pd.Series]:
    """Every child's status at the as-of date, and since when (the day they qualified)."""
    ids = pd.Series(ctx.person_ids.array)
    today = pd.Series(ctx.today, index=ids.index)
    inside, when = status_at(ctx, value, ids, today)
    index = ctx.person_ids
    return pd.Series(inside, index=index), pd.Series(when, index=index)
