"""Settings: defaults, then ``scorekeeper.toml``, then ``SCOREKEEPER_*``, then flags.

pydantic-settings does the merging and validation; this module adds what it
does not: reading the TOML file with a clear error, telling where each value
came from, warning about misspelled ``SCOREKEEPER_*`` variables, and turning
validation errors into one message that names every key and value that failed.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from scorekeeper.errors import ConfigError
from scorekeeper.values import points_to_milli

ENV_PREFIX = "SCOREKEEPER_"
DEFAULT_CONFIG = Path("scorekeeper.toml")
DEFAULT_EXCLUDED = ["reddit_bot", "posts_bot", "admin"]
# Totals are 64-bit thousandths: even at a billion points a row, 9 million rows fit.
MAX_WEIGHT_MILLI = 1_000_000_000_000


class Weights(BaseModel):
    """Points per action, in the units users see (0.2, -0.5, 3)."""

    model_config = ConfigDict(extra="forbid")

    post_like: Decimal = Decimal("3")
    post_dislike: Decimal = Decimal("-1")
    review_upvote: Decimal = Decimal("2")
    review_downvote: Decimal = Decimal("-1")
    comment_like: Decimal = Decimal("1")
    comment_dislike: Decimal = Decimal("-0.5")
    post_created: Decimal = Decimal("0.2")
    review_created: Decimal = Decimal("0.3")
    comment_created: Decimal = Decimal("0.1")

    @field_validator("*", mode="before")
    @classmethod
    def _exact_thousandths(cls, value: Any) -> Decimal:
        if isinstance(value, bool):
            raise ValueError("is a boolean, not a number")
        try:
            milli = points_to_milli(value)
        except ValueError as exc:
            raise ValueError(str(exc)) from None
        if abs(milli) > MAX_WEIGHT_MILLI:
            raise ValueError(f"is beyond ±{MAX_WEIGHT_MILLI // 1000:,} points, more than the "
                             "stored totals can hold")
        return Decimal(milli) / 1000

    def milli(self) -> dict[str, int]:
        """Every weight in exact thousandths of a point."""
        return {key: int(value * 1000) for key, value in self}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
    )

    db: Path = Path("scorekeeper.db")
    # Upper bounds keep values within what SQLite and the clock can hold.
    busy_timeout_seconds: float = Field(default=30.0, ge=0, le=86_400, allow_inf_nan=False)
    event_id_retention_days: int = Field(default=30, ge=1, le=36_500)
    excluded_usernames: list[str] = Field(default_factory=lambda: list(DEFAULT_EXCLUDED))
    weights: Weights = Field(default_factory=Weights)


SETTING_KEYS = [k for k in Settings.model_fields if k != "weights"]
WEIGHT_KEYS = list(Weights.model_fields)


@dataclass
class LoadedSettings:
    settings: Settings
    config_path: Path | None
    sources: dict[str, str]  # "db" or "weights.post_like" -> where it came from
    warnings: list[str]


class _FileSource(PydanticBaseSettingsSource):
    """The already-parsed TOML file as a settings source."""

    def __init__(self, settings_cls: type[BaseSettings], data: dict[str, Any]):
        super().__init__(settings_cls)
        self._data = data

    def get_field_value(self, field, field_name):  # pragma: no cover - unused
        return self._data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return self._data


def _read_toml(config_path: Path | None) -> tuple[Path | None, dict[str, Any]]:
    if config_path is None:
        if not DEFAULT_CONFIG.is_file():
            return None, {}
        config_path = DEFAULT_CONFIG
    try:
        with open(config_path, "rb") as handle:
            return config_path, tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(
            f"config file {config_path} does not exist; "
            "check --config, or leave it out to use ./scorekeeper.toml"
        ) from None
    except IsADirectoryError:
        raise ConfigError(f"config file {config_path} is a folder, not a TOML file") from None
    except PermissionError:
        raise ConfigError(f"config file {config_path} cannot be read (permission denied)") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {config_path} is not valid TOML: {exc}") from None


def _env_warnings(environ: dict[str, str]) -> list[str]:
    known = {ENV_PREFIX + key.upper() for key in SETTING_KEYS}
    known.add(ENV_PREFIX + "WEIGHTS")
    known.update(f"{ENV_PREFIX}WEIGHTS__{key.upper()}" for key in WEIGHT_KEYS)
    return [
        f"ignoring unknown environment variable {name} (known: {', '.join(sorted(known))})"
        for name in sorted(environ)
        if name.upper().startswith(ENV_PREFIX) and name.upper() not in known
    ]


def _describe_errors(exc: ValidationError, origin: str) -> str:
    parts = []
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"])
        reason = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            reason = "is not a known setting"
        parts.append(f"{key} = {error.get('input')!r} {reason}")
    return f"bad settings ({origin}): " + "; ".join(parts)


def _sources(flags: dict[str, Any], file_data: dict[str, Any], path: Path | None,
             environ: dict[str, str]) -> dict[str, str]:
    env = {name.upper(): value for name, value in environ.items()}
    file_weights = file_data.get("weights", {}) if isinstance(file_data.get("weights"), dict) else {}
    sources = {}
    for key in SETTING_KEYS:
        if key in flags:
            sources[key] = "flag"
        elif ENV_PREFIX + key.upper() in env:
            sources[key] = f"env {ENV_PREFIX}{key.upper()}"
        elif key in file_data:
            sources[key] = f"file {path}"
        else:
            sources[key] = "default"
    for key in WEIGHT_KEYS:
        nested = f"{ENV_PREFIX}WEIGHTS__{key.upper()}"
        if nested in env:
            sources[f"weights.{key}"] = f"env {nested}"
        elif key in env.get(ENV_PREFIX + "WEIGHTS", ""):
            sources[f"weights.{key}"] = f"env {ENV_PREFIX}WEIGHTS"
        elif key in file_weights:
            sources[f"weights.{key}"] = f"file {path}"
        else:
            sources[f"weights.{key}"] = "default"
    return sources


def load_settings(config_path: Path | None = None,
                  flags: dict[str, Any] | None = None) -> LoadedSettings:
    """Merge defaults, the TOML file, the environment and flags (in rising priority)."""
    flags = {key: value for key, value in (flags or {}).items() if value is not None}
    environ = dict(os.environ)
    path, file_data = _read_toml(config_path)

    class _Merged(Settings):
        @classmethod
        def settings_customise_sources(cls, settings_cls, init_settings, env_settings,
                                       dotenv_settings, file_secret_settings):
            return (init_settings, env_settings, _FileSource(settings_cls, file_data))

    origin = f"{path}, {ENV_PREFIX}* variables and flags" if path else f"{ENV_PREFIX}* variables and flags"
    try:
        settings = _Merged(**flags)
    except ValidationError as exc:
        raise ConfigError(_describe_errors(exc, origin) + "; fix the setting and run again") from None
    except SettingsError as exc:
        # A list or table in the environment that is not JSON, e.g. EXCLUDED_USERNAMES=admin.
        raise ConfigError(f"bad settings ({origin}): {exc}; lists and tables in "
                          f"{ENV_PREFIX}* variables are JSON, e.g. "
                          f"{ENV_PREFIX}EXCLUDED_USERNAMES='[\"admin\"]'") from None
    sources = _sources(flags, file_data, path, environ)
    return LoadedSettings(Settings.model_construct(**dict(settings)), path, sources,
                          _env_warnings(environ))
