"""Several instant PromQL queries sent as one and split back into one result per query."""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from analyzer.errors import SourceRejected
from analyzer.promql_names import bare_selector, names_pattern, presence_query
from analyzer.quoting import quote
from analyzer.sources import QueryResult, Series
from analyzer.templates import escape_promql_string

# Labels the check puts on each part of its combined query to split the answer back by window and part.
WINDOW_LABEL = "analyzer_window"
PART_LABEL = "analyzer_part"
BATCH_LABELS = frozenset({WINDOW_LABEL, PART_LABEL})
BATCH_LABEL_RE = re.compile(rf"\b(?:{WINDOW_LABEL}|{PART_LABEL})\b")
# A name probe: the presence query of one metric name (names are validated identifiers: nothing is escaped).
_NAME_PROBE_RE = re.compile(r'group by \(__name__\) \(\{__name__=~"([A-Za-z_:][A-Za-z0-9_:]*)"\}\)')
NAMES_MARKER = "names"


@dataclass(frozen=True)
class _Layout:
    """How a batch is sent and read back: the `or` branches, each ungrouped query by its (window, part) labels,
    each grouped query by its group's marker and its metric name."""

    branches: list[str]
    by_part: dict[tuple[str, str], str]
    by_name: dict[str, dict[str, str]]


@dataclass(frozen=True)
class QueryBatch:
    """Several instant queries sent as one `or` of branches whose answer splits back into one result per query.
    A branch is one query labelled with its window and part, or, for two or more bare selectors of literal
    metric names with the same matchers (Pyrra's and Sloth's recording rules), one `{__name__=~"a|b", ...}`
    selector labelled with a group marker and read back by `__name__`: Prometheus evaluates one selector about
    twice as fast as the same series as label_replace'd `or` branches. Name probes (`presence_query` of one
    name) go as one presence query of all their names, read back by `__name__` too. Every branch carries labels
    no other branch has, so `or`, which compares label sets without `__name__`, drops no series."""

    parts: Mapping[tuple[str, str], str]

    @classmethod
    def of(cls, *plans: Mapping[str, Mapping[str, str]]) -> QueryBatch:
        """A batch of every distinct query of the {window: {part: query}} plans; a query shared by windows is
        sent once, and one whose (window, part) an earlier query has takes the part `part.1` (`.2`, ...)."""
        parts: dict[tuple[str, str], str] = {}
        seen: set[str] = set()
        for plan in plans:
            for window, queries in plan.items():
                for part, query in queries.items():
                    if query not in seen:
                        seen.add(query)
                        # Plans may name a part alike in one window (a kind's canary and baseline plans): the later
                        # query replaced the earlier, which then went unsent and had no result.
                        key, number = (window, part), 0
                        while key in parts:
                            number += 1
                            key = (window, f"{part}.{number}")
                        parts[key] = query
        return cls(parts)

    @property
    def queries(self) -> list[str]:
        """The distinct queries, in order."""
        return list(self.parts.values())

    @cached_property
    def _layout(self) -> _Layout:
        by_matchers: dict[str, dict[str, str]] = {}
        for query in self.parts.values():
            selector = bare_selector(query)
            if selector is not None:
                name, matchers = selector
                by_matchers.setdefault(matchers, {})[name] = query
        # A marker is no part's name (a kind may name one `group0`): a series is read back by its part first, so a
        # grouped series whose own analyzer_window names that part's window went to that part, not to its group.
        taken = {part for _, part in self.parts}
        markers = (marker for index in itertools.count() if (marker := f"group{index}") not in taken)
        names_marker = next(m for m in itertools.chain([NAMES_MARKER], markers) if m not in taken)
        # A lone selector gains nothing from a group: it keeps the labelled form, as every other query.
        groups = {matchers: (next(markers), members) for matchers, members in by_matchers.items() if len(members) > 1}
        grouped = {query: matchers for matchers, (_, members) in groups.items() for query in members.values()}
        branches: list[str] = []
        by_part: dict[tuple[str, str], str] = {}
        by_name: dict[str, dict[str, str]] = {}
        for (window, part), query in self.parts.items():
            probed = _NAME_PROBE_RE.fullmatch(query)
            if probed is not None:
                # Every name probe is one presence query of all the names: one short series per name.
                if names_marker not in by_name:
                    probes = {
                        found.group(1): q
                        for q in self.parts.values()
                        if (found := _NAME_PROBE_RE.fullmatch(q)) is not None
                    }
                    by_name[names_marker] = probes
                    branches.append(
                        f'label_replace({presence_query(probes)}, "{PART_LABEL}", "{names_marker}", "", "")'
                    )
                continue
            shared = grouped.get(query)
            if shared is None:
                by_part[(window, part)] = query
                branches.append(
                    f'label_replace(label_replace({_ended(query)}, "{WINDOW_LABEL}", '
                    f'"{escape_promql_string(window, chr(34))}", "", ""), "{PART_LABEL}", '
                    f'"{escape_promql_string(part, chr(34))}", "", "")'
                )
                continue
            marker, members = groups[shared]
            if marker in by_name:
                continue
            by_name[marker] = members
            pattern = escape_promql_string(names_pattern(list(members)), chr(34))
            inside = f'__name__=~"{pattern}"' + (f", {shared}" if shared.strip() else "")
            branches.append(f'label_replace({{{inside}}}, "{PART_LABEL}", "{marker}", "", "")')
        return _Layout(branches, by_part, by_name)

    @cached_property
    def promql(self) -> str:
        """The one query sent."""
        return " or ".join(self._layout.branches)

    @cached_property
    def encoded_promql(self) -> str:
        """`promql` percent-encoded as a URL carries it (`quoting.quote`): a batch is kilobytes of PromQL,
        and the check keeps its batches with its plan, so it is encoded once, not on every query."""
        return quote(self.promql)

    def split(self, answer: QueryResult, *, owned: bool = False) -> dict[str, QueryResult]:
        """Each query's own result, as if it had been sent alone (a grouped selector's series keep `__name__`,
        as a plain selector's do); SourceRejected for a series of no part. `owned`: nothing reads the answer's
        series after this call, so they become the results' own (the same Series objects), their batch labels
        dropped in place; the answer is then no batch answer any more (splitting it again is refused as series of no
        part), and one refused leaves the series before the one of no part without their batch labels."""
        # Each Series and QueryResult is built as made_series and made_result build them, written out here:
        # a split builds one of each per series and per query, and the calls were a tenth of its instructions.
        new = object.__new__
        layout = self._layout
        by_part, by_name = layout.by_part, layout.by_name
        series: dict[str, list[Series]] = {query: [] for query in self.parts.values()}
        for item in answer.series:
            labels = item.labels
            part = labels.get(PART_LABEL, "")
            window = labels.get(WINDOW_LABEL)
            if window is None:
                query = by_name[part].get(labels.get("__name__", "")) if part in by_name else by_part.get(("", part))
            else:
                query = by_part.get((window, part))
                if query is None and part in by_name:
                    # A grouped selector's series sets no window: one it has is its own (a rule that records
                    # `analyzer_window`), which refused the whole answer; it keeps it, as when sent alone.
                    query = by_name[part].get(labels.get("__name__", ""))
                    window = None
            if query is None:
                raise SourceRejected(
                    f"the combined query's answer has a series of no part asked for: {item.describe()}"
                )
            if owned:
                # A second Series and a copy of its labels per series were about 3% of an error_budget evaluation.
                made = item
            else:
                labels = labels.copy()
                made = new(Series)
                made.__dict__.update(labels=labels, samples=item.samples)
            labels.pop(PART_LABEL, None)
            if window is not None:
                del labels[WINDOW_LABEL]
            series[query].append(made)
        result_type, warnings = answer.result_type, answer.warnings
        results: dict[str, QueryResult] = {}
        for query, found in series.items():
            result = new(QueryResult)
            result.__dict__.update(query=query, result_type=result_type, series=found, warnings=warnings, infos=[])
            results[query] = result
        return results


def _ended(query: str) -> str:
    """The query as one argument among others: a `#` may open a comment that runs to the end of its line, which
    would swallow what the batch writes after it (a template ending in `# 5xx only`), so it gets a line end."""
    return f"{query}\n" if "#" in query else query
