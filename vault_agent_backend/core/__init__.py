"""The core: mount table, request pipeline, tokens, policies and the services backends share."""

from .core import Core, CoreOptions

__all__ = ["Core", "CoreOptions"]
