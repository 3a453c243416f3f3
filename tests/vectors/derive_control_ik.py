#!/usr/bin/env python3
"""Second, independent derivation of Weft's control-channel handshake vectors.

Runs Noise_IK_25519_ChaChaPoly_BLAKE2s (Noise specification revision 34, section 7 pattern IK) with
the prologue "Weft control v1", fixed static and ephemeral keys and the 16-bit version payloads,
then seals two transport frames each way. Uses only hashlib's BLAKE2s, hmac and the `cryptography`
package (X25519, ChaCha20-Poly1305). Prints hex for
tests/Weft.Control.Tests/Control/NoiseIKVectorTests.cs.

Run: python3 tests/vectors/derive_control_ik.py
"""
import hashlib
import hmac
import struct

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

PROTOCOL = b"Noise_IK_25519_ChaChaPoly_BLAKE2s"
PROLOGUE = b"Weft control v1"

# Fixed inputs (shared with the C# test).
MACHINE_STATIC = bytes.fromhex("58f1a3c2d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e4f")
SERVER_STATIC = bytes.fromhex("a0112233445566778899aabbccddeeff00112233445566778899aabbccddee7f")
MACHINE_EPHEMERAL = bytes.fromhex("c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e667")
SERVER_EPHEMERAL = bytes.fromhex("101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e6f")
VERSION_PAYLOAD = struct.pack(">H", 1)
CLIENT_FRAMES = [b'{"register":{}}', b"second"]
SERVER_FRAMES = [b'{"map":{}}']


def blake2s(*parts):
    h = hashlib.blake2s()
    for p in parts:
        h.update(p)
    return h.digest()


def hkdf2(chaining_key, ikm):
    temp = hmac.new(chaining_key, ikm, hashlib.blake2s).digest()
    out1 = hmac.new(temp, b"\x01", hashlib.blake2s).digest()
    out2 = hmac.new(temp, out1 + b"\x02", hashlib.blake2s).digest()
    return out1, out2


def pub(private):
    return X25519PrivateKey.from_private_bytes(private).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def dh(private, public):
    return X25519PrivateKey.from_private_bytes(private).exchange(X25519PublicKey.from_public_bytes(public))


def nonce(n):
    return b"\x00" * 4 + struct.pack("<Q", n)


class Symmetric:
    """Noise's SymmetricState with its CipherState folded in."""

    def __init__(self):
        self.h = blake2s(PROTOCOL) if len(PROTOCOL) > 32 else PROTOCOL.ljust(32, b"\x00")
        self.ck = self.h
        self.k = None
        self.n = 0

    def mix_hash(self, data):
        self.h = blake2s(self.h, data)

    def mix_key(self, ikm):
        self.ck, self.k = hkdf2(self.ck, ikm)
        self.n = 0

    def encrypt_and_hash(self, plaintext):
        c = ChaCha20Poly1305(self.k).encrypt(nonce(self.n), plaintext, self.h)
        self.n += 1
        self.mix_hash(c)
        return c

    def split(self):
        return hkdf2(self.ck, b"")


def main():
    s_pub = pub(SERVER_STATIC)
    m_pub = pub(MACHINE_STATIC)
    st = Symmetric()
    st.mix_hash(PROLOGUE)
    st.mix_hash(s_pub)

    # -> e, es, s, ss, payload
    e_i = pub(MACHINE_EPHEMERAL)
    st.mix_hash(e_i)
    st.mix_key(dh(MACHINE_EPHEMERAL, s_pub))
    enc_s = st.encrypt_and_hash(m_pub)
    st.mix_key(dh(MACHINE_STATIC, s_pub))
    msg1 = e_i + enc_s + st.encrypt_and_hash(VERSION_PAYLOAD)

    # <- e, ee, se, payload
    e_r = pub(SERVER_EPHEMERAL)
    st.mix_hash(e_r)
    st.mix_key(dh(SERVER_EPHEMERAL, e_i))
    st.mix_key(dh(SERVER_EPHEMERAL, m_pub))
    msg2 = e_r + st.encrypt_and_hash(VERSION_PAYLOAD)

    k_client_to_server, k_server_to_client = st.split()
    print("server_public   =", s_pub.hex())
    print("machine_public  =", m_pub.hex())
    print("message1        =", msg1.hex())
    print("message2        =", msg2.hex())
    print("handshake_hash  =", st.h.hex())
    for i, frame in enumerate(CLIENT_FRAMES):
        print(f"client_frame{i}   =", ChaCha20Poly1305(k_client_to_server).encrypt(nonce(i), frame, b"").hex())
    for i, frame in enumerate(SERVER_FRAMES):
        print(f"server_frame{i}   =", ChaCha20Poly1305(k_server_to_client).encrypt(nonce(i), frame, b"").hex())


if __name__ == "__main__":
    main()
