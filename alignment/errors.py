"""The one error type a user should ever see: bad input, named precisely."""


class ConfigError(ValueError):
    """A configuration value is not allowed; the message names key, value and what is allowed."""

    def __init__(self, key: str, value, allowed: str):
        self.key, self.value, self.allowed = key, value, allowed
        super().__init__(f"{key}={value!r}: {allowed}")
