"""Kind `http_smoke`: declarative HTTP steps against a canary or preview service, judged by assertions.

`spec` is the definition, `check` sends the steps, `judge` judges each response; `urltemplates` and
`jsonpath` are the URL templates and JSON paths only this kind uses.
"""

from checks.http_smoke.check import HttpSmokeCheck
from checks.http_smoke.judge import MAX_REGEX_CHARS

__all__ = ["MAX_REGEX_CHARS", "HttpSmokeCheck"]
