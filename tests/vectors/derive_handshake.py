#!/usr/bin/env python3
"""Second, independent derivation of WireGuard handshake vectors for Weft's Noise tests.

Builds one initiation, its response, the transport keys and one transport message from fixed
static keys, fixed ephemeral keys, a fixed timestamp and fixed indexes, straight from the
whitepaper's equations, using hashlib's BLAKE2s and the `cryptography` package (X25519,
ChaCha20-Poly1305). Prints hex for pasting into tests/Weft.WireGuard.Tests/Noise/HandshakeVectorTests.cs.

Run: python3 tests/vectors/derive_handshake.py
"""
import hashlib
import hmac
import struct

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives import serialization

CONSTRUCTION = b"Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s"
IDENTIFIER = b"WireGuard v1 zx2c4 Jason@zx2c4.com"
LABEL_MAC1 = b"mac1----"

# Fixed inputs (shared with the C# test).
INITIATOR_STATIC = bytes.fromhex("e84b5a6e2e1c0b6e8c3e8e2f6e1f3a4d5c6b7a8998a7b6c5d4e3f2011f2e3d4c")
RESPONDER_STATIC = bytes.fromhex("98a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e4f")
INITIATOR_EPHEMERAL = bytes.fromhex("20212223242526272829303132333435363738394041424344454647484950ff")
RESPONDER_EPHEMERAL = bytes.fromhex("f0e0d0c0b0a09080706050403020100f1e2d3c4b5a69788796a5b4c3d2e1f06f")
PRESHARED = bytes.fromhex("a5" * 32)
INITIATOR_INDEX = 0x11223344
RESPONDER_INDEX = 0x55667788
UNIX_SECONDS = 1735787045          # 2025-01-02T03:04:05Z
NANOSECONDS = 123456700            # .1234567 s
TRANSPORT_PLAINTEXT = b"hello weft"


def hash_(*parts):
    h = hashlib.blake2s()
    for p in parts:
        h.update(p)
    return h.digest()


def mac(key, data):
    return hashlib.blake2s(data, digest_size=16, key=key).digest()


def hmac_(key, data):
    return hmac.new(key, data, hashlib.blake2s).digest()


def kdf(n, chaining_key, data):
    t0 = hmac_(chaining_key, data)
    out, prev = [], b""
    for i in range(1, n + 1):
        prev = hmac_(t0, prev + bytes([i]))
        out.append(prev)
    return out


def public(private):
    return X25519PrivateKey.from_private_bytes(private).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def dh(private, public_bytes):
    return X25519PrivateKey.from_private_bytes(private).exchange(X25519PublicKey.from_public_bytes(public_bytes))


def aead(key, counter, plaintext, ad):
    return ChaCha20Poly1305(key).encrypt(b"\x00" * 4 + struct.pack("<Q", counter), plaintext, ad)


def tai64n(seconds, nanoseconds):
    # 2^62 + 10 seconds as the reference implementations write it; nanoseconds whitened to 2^24 ns.
    return struct.pack(">QI", 0x400000000000000A + seconds, nanoseconds & ~0xFFFFFF)


def add_mac1(message, receiver_public):
    body = message[:-32]
    return body + mac(hash_(LABEL_MAC1, receiver_public), body) + b"\x00" * 16


def derive(psk):
    si_pub, sr_pub = public(INITIATOR_STATIC), public(RESPONDER_STATIC)
    ei_pub, er_pub = public(INITIATOR_EPHEMERAL), public(RESPONDER_EPHEMERAL)

    # Initiation (whitepaper 5.4.2).
    ck = hash_(CONSTRUCTION)
    h = hash_(hash_(ck, IDENTIFIER), sr_pub)
    (ck,) = kdf(1, ck, ei_pub)
    h = hash_(h, ei_pub)
    ck, k = kdf(2, ck, dh(INITIATOR_EPHEMERAL, sr_pub))
    enc_static = aead(k, 0, si_pub, h)
    h = hash_(h, enc_static)
    ck, k = kdf(2, ck, dh(INITIATOR_STATIC, sr_pub))
    enc_time = aead(k, 0, tai64n(UNIX_SECONDS, NANOSECONDS), h)
    h = hash_(h, enc_time)
    initiation = struct.pack("<II", 1, INITIATOR_INDEX) + ei_pub + enc_static + enc_time + b"\x00" * 32
    initiation = add_mac1(initiation, sr_pub)

    # Response (whitepaper 5.4.3).
    (ck,) = kdf(1, ck, er_pub)
    h = hash_(h, er_pub)
    (ck,) = kdf(1, ck, dh(RESPONDER_EPHEMERAL, ei_pub))
    (ck,) = kdf(1, ck, dh(RESPONDER_EPHEMERAL, si_pub))
    ck, tau, k = kdf(3, ck, psk)
    h = hash_(h, tau)
    enc_empty = aead(k, 0, b"", h)
    h = hash_(h, enc_empty)
    response = struct.pack("<III", 2, RESPONDER_INDEX, INITIATOR_INDEX) + er_pub + enc_empty + b"\x00" * 32
    response = add_mac1(response, si_pub)

    # Transport keys (whitepaper 5.4.5) and one message from the initiator.
    initiator_send, initiator_receive = kdf(2, ck, b"")
    padded = TRANSPORT_PLAINTEXT + b"\x00" * (-len(TRANSPORT_PLAINTEXT) % 16)
    transport = struct.pack("<IIQ", 4, RESPONDER_INDEX, 0) + aead(initiator_send, 0, padded, b"")
    return initiation, response, initiator_send, initiator_receive, transport


def main():
    print("initiator_static_public", public(INITIATOR_STATIC).hex())
    print("responder_static_public", public(RESPONDER_STATIC).hex())
    for name, psk in (("no_psk", b"\x00" * 32), ("psk", PRESHARED)):
        initiation, response, send, receive, transport = derive(psk)
        print(f"{name}.initiation", initiation.hex())
        print(f"{name}.response", response.hex())
        print(f"{name}.initiator_send", send.hex())
        print(f"{name}.initiator_receive", receive.hex())
        print(f"{name}.transport", transport.hex())


if __name__ == "__main__":
    main()
