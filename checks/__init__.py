"""The built-in check kinds; each uses the same contract as a third-party kind and imports only the public
surface `analyzer.kinds`. The registry lists them by name (`analyzer.registry.DEFAULT_KINDS`)."""
