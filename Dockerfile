# The analyzer image: `analyzer serve` by default; `analyzer run CHECK ...` for Kubernetes Jobs.
# Build: docker build -t analyzer:0.1.0 .
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# Build stage: the analyzer's wheel, then a virtualenv with it and exactly the dependency versions of
# requirements.lock. Dependencies must come as binary wheels (they all publish them), so no stage
# needs a compiler and none is installed.
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md requirements.lock ./
COPY analyzer ./analyzer
COPY checks ./checks
RUN pip wheel --no-deps --wheel-dir /wheels ./ \
    && python -m venv /opt/analyzer \
    && /opt/analyzer/bin/pip install --only-binary :all: --constraint requirements.lock /wheels/analyzer-*.whl \
    && /opt/analyzer/bin/pip uninstall --yes pip \
    && /opt/analyzer/bin/analyzer --help > /dev/null

# Final stage: the base image plus the virtualenv; no compiler, no sources, no pip in the venv.
FROM ${PYTHON_IMAGE}
# The analyzer's user; then the standard library's bytecode. The base image ships the standard library
# without it (its .pyc files are deleted to save about 30 MB), and with PYTHONDONTWRITEBYTECODE and a
# read-only root filesystem nothing is ever cached: every `analyzer run` Job would compile asyncio, ssl,
# json... from source again, more than half of its start. Left out: pip and setuptools of the base image
# (never run) and test data, which the base image deletes but which would not compile.
# Last, OpenSSL's default CA file, Debian's link to the whole system bundle: aiohttp builds two default TLS
# contexts when it is imported, and each parsed every certificate of it (a quarter of a Job's instructions),
# though the analyzer verifies with certifi's bundle or a source's ca_file, never with the system store.
# Without the link the default contexts look certificates up one by one in /etc/ssl/certs, the same store,
# when (if ever) one verifies.
RUN groupadd --system --gid 10001 analyzer \
    && useradd --system --uid 10001 --gid analyzer --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin analyzer \
    && python -m compileall -q -x '/(site-packages|tests?|idle_test)/' /usr/local/lib/python3.11 \
    && rm -f /usr/lib/ssl/cert.pem
# No shell in the final image: nothing the analyzer does needs one (Kubernetes hooks use `sleep`, a reload is
# `kubectl exec POD -- python -c ...`), and code that gets to run in the pod finds no `sh`. Exec form, since
# the shell is what goes; both paths, whether or not /bin is a link to /usr/bin.
RUN ["rm", "-f", "/bin/sh", "/bin/dash", "/bin/bash", "/bin/rbash", "/usr/bin/sh", "/usr/bin/dash", "/usr/bin/bash", "/usr/bin/rbash"]
COPY --from=build /opt/analyzer /opt/analyzer
# The venv's bytecode was compiled by pip at install, the standard library's above; with a read-only root
# filesystem nothing could be written anyway.
ENV PATH=/opt/analyzer/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ANALYZER_LOG_FORMAT=json
# Numeric, so that Kubernetes can verify runAsNonRoot without resolving the name.
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["analyzer"]
CMD ["serve"]
