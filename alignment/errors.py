"""The errors a user should ever see, each one line: bad input named precisely, or a storage fault named by its path."""

import errno


class ConfigError(ValueError):
    """A configuration value is not allowed; the message names key, value and what is allowed."""

    def __init__(self, key: str, value, allowed: str):
        self.key, self.value, self.allowed = key, value, allowed
        super().__init__(f"{key}={value!r}: {allowed}")


class DatasetError(ConfigError):
    """A file of a dataset is not what it must be (a manifest that is not JSON, a shard of another dataset):
    bad input like a config value, but named by its path."""

    def __init__(self, path, problem: str, todo: str):
        ValueError.__init__(self, f"{path}: {problem}; {todo}")
        self.key, self.value, self.allowed = str(path), None, f"{problem}; {todo}"


class StorageError(OSError):
    """The file system refused a write or a read (no space, read-only, permission, a folder removed): the
    message names the path, what happened and what to do; exit status 1."""

    def __init__(self, path, what: str, todo: str):
        super().__init__(f"{path}: {what}; {todo}")
        self.path, self.what, self.todo = str(path), what, todo

    def __str__(self) -> str:
        return self.args[0]


_WHAT = {errno.ENOSPC: "no space left on the device", errno.EDQUOT: "disk quota exceeded",
         errno.EROFS: "the file system is read-only", errno.EACCES: "permission denied", errno.EPERM: "permission denied",
         errno.ENOENT: "no such file or folder", errno.ENOTDIR: "a part of the path is no longer a folder",
         errno.ENOLCK: "the file system gives no locks", errno.ENOSYS: "the file system gives no locks",
         errno.EOPNOTSUPP: "the file system gives no locks", errno.EIO: "an input/output error (a failing disk or network file system)",
         errno.ESTALE: "a stale network file handle (the folder was replaced on the server)"}


def storage_error(exc: OSError, path, todo: str, name_path: bool = False) -> StorageError:
    """The one-line StorageError for an OSError met at ``path`` (named: ``path`` if ``name_path``, else the OSError's
    own file if it has one)."""
    where = path if name_path or not getattr(exc, "filename", None) else exc.filename
    return StorageError(where, _WHAT.get(exc.errno, exc.strerror or type(exc).__name__), todo)
