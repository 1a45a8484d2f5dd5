"""The keys under which the app and each request hold the API's state, shared by the API and the UI pages."""

from __future__ import annotations

from aiohttp import web

from analyzer.auth import Principal, TokenStore
from analyzer.history import VerdictHistory
from analyzer.live import Generation, LiveCatalog
from analyzer.metrics import Metrics
from analyzer.settings import Settings
from analyzer.sources.http import HttpClient

SETTINGS = web.AppKey("settings", Settings)
METRICS = web.AppKey("metrics", Metrics)
LIVE = web.AppKey("live", LiveCatalog)
HISTORY = web.AppKey("history", VerdictHistory)
TOKENS = web.AppKey("tokens", TokenStore)
HTTP = web.AppKey("http", HttpClient)
GENERATION = web.RequestKey("generation", Generation)
PRINCIPAL = web.RequestKey("principal", Principal)
