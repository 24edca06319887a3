"""Switches that change what the connector does travel in the context, and any RPC caller
sets the context at will. So server code wraps each switch in ``ServerOnly``: an RPC call
brings JSON values only, never one of these, and ``switch()`` ignores anything else. The
import mode, the client's tuning, the crons' commits and page size cannot be turned on from
outside; tests and scripts set them the same way the code does."""


class ServerOnly:
    """A context value that only Python code running in the server can make."""

    __slots__ = ("value",)

    def __init__(self, value=True):
        self.value = value

    def __repr__(self):
        return f"ServerOnly({self.value!r})"


def switch(env, name, default=None):
    """The value of the switch ``name`` in ``env``'s context, if server code set it."""
    value = env.context.get(name)
    return value.value if isinstance(value, ServerOnly) else default
