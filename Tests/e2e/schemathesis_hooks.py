"""Schemathesis hooks for the record stores (loaded through SCHEMATHESIS_HOOKS).

`audio/ogg` bodies: schemathesis generates arbitrary bytes; half of them are
prefixed with a real OpusHead page so that uploads also reach the paths that
store items (201/204), not only the 415 answers."""
import hashlib
import os

import schemathesis

_HEADER = bytes.fromhex(os.environ.get("STORE_OGG_HEADER_HEX", ""))


@schemathesis.serializer("audio/ogg")
def ogg(ctx, value):
    if isinstance(value, str):
        value = value.encode("utf-8", "surrogatepass")
    elif not isinstance(value, (bytes, bytearray)):
        value = repr(value).encode()
    if _HEADER and hashlib.sha256(bytes(value)).digest()[0] & 1:
        return _HEADER + bytes(value)
    return bytes(value)


def _text(ctx, value):
    """SDP bodies (WHIP/WHEP offers, trickle fragments) are text: sent as UTF-8."""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    return (value if isinstance(value, str) else repr(value)).encode("utf-8", "surrogatepass")


schemathesis.serializer("application/sdp")(_text)
schemathesis.serializer("application/trickle-ice-sdpfrag")(_text)
