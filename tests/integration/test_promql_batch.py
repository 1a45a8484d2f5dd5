"""QueryBatch against the real Prometheus: every series of the combined answer goes back to the query that
selected it, whatever labels the series carry, and each query's result is what it answers alone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from analyzer.catalog import build_catalog
from analyzer.errors import CheckError
from analyzer.models import Outcome
from analyzer.promql_batch import PART_LABEL, WINDOW_LABEL, QueryBatch
from analyzer.registry import Registry
from analyzer.runner import Runner
from analyzer.sources import PrometheusSource, Series, Sources
from analyzer.sources.prometheus import PrometheusSourceConfig
from checks.error_budget import ErrorBudgetCheck

pytestmark = pytest.mark.integration


Shown = list[tuple[list[tuple[str, str]], list[float]]]


def shown(series: list[Series], *dropped: str) -> Shown:
    """Series as sortable labels (but those `dropped`) and values."""
    return sorted(
        (sorted((k, v) for k, v in s.labels.items() if k not in dropped), [v for _, v in s.samples]) for s in series
    )


async def split_and_alone(prometheus, batch: QueryBatch, *dropped: str) -> tuple[dict[str, Shown], dict[str, Shown]]:
    """The batch's answer split per query, and each query's answer sent alone without the labels `dropped`."""
    source = PrometheusSource("default", PrometheusSourceConfig(url=prometheus.url))
    at = datetime.fromtimestamp(prometheus.anchor, tz=UTC)
    try:
        split = batch.split(await source.query(batch.promql, at, 5.0))
        alone = {q: shown((await source.query(q, at, 5.0)).series, *dropped) for q in batch.queries}
    finally:
        await source.aclose()
    return {q: shown(r.series) for q, r in split.items()}, alone


class TestSeriesCarryingTheBatchLabels:
    """A series whose own labels are the batch's is read back by the query that selected it, never refused."""

    async def test_grouped_recording_rules_with_their_own_window_label_split_as_alone(self, prometheus):
        batch = QueryBatch.of(
            {
                "5m": {"ratio": 'slo:sli_error:ratio_rate5m{sloth_id="pb-own-window"}'},
                "1h": {"ratio": 'slo:sli_error:ratio_rate1h{sloth_id="pb-own-window"}'},
            }
        )
        assert "__name__=~" in batch.promql and WINDOW_LABEL not in batch.promql
        # The series answer with analyzer_window="own", their own: it was read as the batch's, naming no part.
        split, alone = await split_and_alone(prometheus, batch)
        assert split == alone
        assert [len(alone[q]) for q in batch.queries] == [1, 1]
        assert all(dict(labels)[WINDOW_LABEL] == "own" for series in split.values() for labels, _ in series)

    async def test_a_sloth_check_over_such_series_judges_them(self, prometheus):
        catalog = build_catalog(
            [
                (
                    "catalog.yaml",
                    {
                        "sources": {"default": {"url": prometheus.url}},
                        "checks": [
                            {
                                "name": "own-window",
                                "kind": "error_budget",
                                "objective": 99.9,
                                "period": "30d",
                                "min_budget_remaining": 0,
                                "sloth": {"sloth_id": "pb-own-window"},
                            }
                        ],
                    },
                )
            ],
            Registry([ErrorBudgetCheck]),
        )
        sources = Sources(catalog.sources)
        try:
            check = catalog.get("own-window")
            at = datetime.fromtimestamp(prometheus.anchor, tz=UTC)
            result = await Runner(catalog, sources, None, 8.0).evaluate(check, {}, at)
        finally:
            await sources.aclose()
        # Burning at 0.5x everywhere: a pass, with half the budget left (it was `error`, a series of no part).
        assert result.verdict is Outcome.PASS, result.reason
        assert result.details["budget"]["remaining"] == pytest.approx(0.5, rel=1e-6)

    async def test_a_grouped_series_own_part_label_is_replaced_and_its_value_kept(self, prometheus):
        batch = QueryBatch.of(
            {
                "5m": {"ratio": 'slo:sli_error:ratio_rate5m{sloth_id="pb-own-part"}'},
                "1h": {"ratio": 'slo:sli_error:ratio_rate1h{sloth_id="pb-own-part"}'},
            }
        )
        # The batch sets analyzer_part on the selector's series: theirs is lost, their values are not.
        split, alone = await split_and_alone(prometheus, batch, PART_LABEL)
        assert split == alone
        assert [len(split[q]) for q in batch.queries] == [1, 1]

    async def test_a_labelled_query_keeps_its_series_under_the_batch_labels(self, prometheus):
        batch = QueryBatch.of(
            {"5m": {"one": 'pb_requests{analyzer_window="1h"}', "other": 'pb_other{job="pb"}'}},
            {"1h": {"one": 'pb_requests{analyzer_window="5m"}'}},
        )
        split, alone = await split_and_alone(prometheus, batch, WINDOW_LABEL)
        assert split == alone
        assert [[v for _, v in split[q]] for q in batch.queries] == [[[1.0]], [[7.0]], [[2.0]]]

    async def test_two_series_told_apart_by_that_label_alone_are_an_error_not_one_of_them(self, prometheus):
        batch = QueryBatch.of({"5m": {"both": 'max without (instance) (pb_requests{job="pb"})', "other": "pb_other"}})
        with pytest.raises(CheckError, match="same labelset"):
            await split_and_alone(prometheus, batch)


class TestPartsNamedAsTheBatchsMarkers:
    """A part named as a group's marker (`group0`) keeps its own series, and the group's go to their own queries."""

    async def test_a_grouped_series_window_label_naming_such_a_part_goes_to_its_group(self, prometheus):
        # A kind (QueryBatch is public) naming a part `group0` in a window `own`, while recorded series carry
        # analyzer_window="own": the group's series were read as that part's, and the group's queries got none.
        batch = QueryBatch.of(
            {"own": {"group0": 'pb_other{job="pb"}'}},
            {
                "5m": {"ratio": 'slo:sli_error:ratio_rate5m{sloth_id="pb-own-window"}'},
                "1h": {"ratio": 'slo:sli_error:ratio_rate1h{sloth_id="pb-own-window"}'},
            },
        )
        split, alone = await split_and_alone(prometheus, batch, WINDOW_LABEL, PART_LABEL)
        assert {q: shown_without(s, WINDOW_LABEL, PART_LABEL) for q, s in split.items()} == alone
        assert [len(split[q]) for q in batch.queries] == [1, 1, 1]

    async def test_a_part_named_as_the_name_probes_marker_keeps_its_series(self, prometheus):
        batch = QueryBatch.of(
            {"": {"names": "pb_other"}},
            {"": {"probe": 'group by (__name__) ({__name__=~"pb_other"})'}},
        )
        split, alone = await split_and_alone(prometheus, batch, WINDOW_LABEL, PART_LABEL)
        assert {q: shown_without(s, WINDOW_LABEL, PART_LABEL) for q, s in split.items()} == alone
        assert [len(split[q]) for q in batch.queries] == [1, 1]


def shown_without(series: Shown, *dropped: str) -> Shown:
    """Shown series without the labels `dropped`."""
    return sorted(([(k, v) for k, v in labels if k not in dropped], values) for labels, values in series)


class TestPartsThatAnswerNothingOrFail:
    """A query answering nothing gets no series (none of another's); a query that fails fails the whole batch."""

    async def test_an_empty_part_gets_no_series_of_another(self, prometheus):
        batch = QueryBatch.of(
            {
                "5m": {
                    "errors": 'sum without (job) (pb_other{job="nobody"})',
                    "total": "sum without (job) (pb_other)",
                    "renamed": f'label_replace(pb_other, "{PART_LABEL}", "errors", "", "")',
                    "dropped": f"sum without ({WINDOW_LABEL}, {PART_LABEL}) (pb_other)",
                }
            }
        )
        split, alone = await split_and_alone(prometheus, batch, PART_LABEL)
        assert split == alone
        assert [len(split[q]) for q in batch.queries] == [0, 1, 1, 1]

    async def test_a_failing_part_fails_the_batch(self, prometheus):
        batch = QueryBatch.of(
            {"5m": {"errors": "pb_other", "total": 'pb_other + on() group_left pb_requests{job="pb"}'}}
        )
        with pytest.raises(CheckError, match="many-to-many"):
            await split_and_alone(prometheus, batch)


class TestPlansNamingAPartAlike:
    """Two plans naming a part alike in one window each get their own query's series back."""

    async def test_each_query_answers_as_alone(self, prometheus):
        # The second plan's query took the first's (window, part): the first was never sent and had no result.
        batch = QueryBatch.of({"5m": {"errors": 'pb_other{job="pb"}'}}, {"5m": {"errors": 'pb_requests{job="pb"}'}})
        split, alone = await split_and_alone(prometheus, batch, WINDOW_LABEL)
        assert {q: shown_without(s, WINDOW_LABEL) for q, s in split.items()} == alone
        assert [[v for _, v in split[q]] for q in batch.queries] == [[[7.0]], [[1.0], [2.0]]]
