# chainrule service: `docker build -t chainrule . && docker run -p 8000:8000 chainrule`
# Configuration is by CHAINRULE_* environment variables (see service/settings.py).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# The package is installed from pyproject.toml; README.md* matches nothing if it is absent.
COPY pyproject.toml README.md* ./
COPY derivations ./derivations
COPY service ./service
RUN pip install . \
    && useradd --create-home --uid 10001 --shell /usr/sbin/nologin chainrule

USER chainrule

EXPOSE 8000

# slim has no curl: probe /healthz with the standard library.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]

CMD ["chainrule", "serve", "--host", "0.0.0.0", "--port", "8000"]
