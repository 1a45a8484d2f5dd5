"""The hosts HTTP checks may reach unless the operator or a check allows more.

A module of its own: the settings default to it, and a Job without an HTTP check imports no HTTP policy.
"""

DEFAULT_ALLOWED_HOSTS = ("*.svc", "*.svc.cluster.local")
