"""Every knob of the service in one place, read from ``CHAINRULE_*`` environment variables.

The service is a thin shell around pure functions, so nearly all of its configuration is about
protecting the host from hostile input: each bound here is enforced before the work it guards.
The library limits are copied into ``derivations.limits.Limits`` so that the CLI, the Python API
and the service share one implementation of every check.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from derivations.limits import DEFAULT_LIMITS, Limits

_L = DEFAULT_LIMITS  # the library's defaults are the service's defaults: one source of truth


class Settings(BaseSettings):
    """Service configuration; ``CHAINRULE_TIME_LIMIT_SECONDS=5`` sets ``time_limit_seconds``."""

    model_config = SettingsConfigDict(env_prefix="CHAINRULE_", extra="ignore", frozen=True)

    # Worker pool
    workers: int = Field(2, ge=1, le=64, description="worker processes running derivations")
    time_limit_seconds: float = Field(
        10.0, gt=0, description="in-worker time per request; an overrunning worker is killed"
    )
    queue_timeout_seconds: float = Field(
        30.0, gt=0, description="longest wait for a free worker before answering 503"
    )
    worker_memory_mb: int = Field(
        2048, ge=0, description="address-space cap per worker (RLIMIT_AS); 0 = unlimited"
    )
    startup_timeout_seconds: float = Field(120.0, gt=0, description="time to pre-warm workers")

    # Fairness under abuse
    client_concurrency: int | None = Field(
        None,
        ge=1,
        description="uncached requests one client address may have in progress at once; beyond "
        "it 429 (default: half the workers, at least 1)",
    )
    failure_cache_size: int = Field(
        1024, ge=0, description="remembered time-limit and crash outcomes; 0 = never remember"
    )
    failure_cache_seconds: float = Field(
        600.0, ge=0, description="how long a time-limit or crash outcome is remembered"
    )
    precheck_seconds: float = Field(
        2.0,
        ge=0,
        description="longest wait for the in-process parse and shape check before a request is "
        "queued for a worker anyway; 0 = no check",
    )
    body_timeout_seconds: float = Field(
        10.0, gt=0, description="time to receive the whole request body; then 408 and close"
    )
    header_timeout_seconds: float = Field(
        10.0, gt=0, description="time to receive a request's headers; then 408 and close"
    )

    # Request-level bounds (checked in the service)
    max_body_bytes: int = Field(262_144, ge=1024, description="request body size; larger is 413")
    max_trace_numbers: int = Field(10_000, ge=1, description="total numbers in trace values")

    # Library bounds (passed to derivations as Limits)
    max_expression_length: int = Field(_L.max_expression_length, ge=1)
    max_depth: int = Field(_L.max_depth, ge=1)
    max_statements: int = Field(_L.max_statements, ge=1)
    max_variables: int = Field(_L.max_variables, ge=1)
    max_numeric_dim: int = Field(_L.max_numeric_dim, ge=1)
    max_verify_dim: int = Field(_L.max_verify_dim, ge=1)
    max_exponent: int = Field(_L.max_exponent, ge=1)

    # Caching
    cache_size: int = Field(1024, ge=0, description="LRU entries; 0 disables the cache")
    cache_max_age: int = Field(86_400, ge=0, description="Cache-Control max-age in seconds")

    # Logging
    log_level: str = Field("INFO", description="level of the JSON request log")

    def per_client(self) -> int:
        """The per-client cap in force: the setting, or half the workers (at least one)."""
        if self.client_concurrency is not None:
            return self.client_concurrency
        return max(1, self.workers // 2)

    def limits(self) -> Limits:
        """The library's bounds, built from these settings."""
        return Limits(
            max_expression_length=self.max_expression_length,
            max_depth=self.max_depth,
            max_statements=self.max_statements,
            max_variables=self.max_variables,
            max_numeric_dim=self.max_numeric_dim,
            max_verify_dim=self.max_verify_dim,
            max_exponent=self.max_exponent,
            # The exact check stops at its budget; keep it well inside the request's time limit.
            exact_check_seconds=min(_L.exact_check_seconds, self.time_limit_seconds / 3),
        )
