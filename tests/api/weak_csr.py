#!/usr/bin/env python3
"""Write a DER PKCS#10 request for an RSA-2048 key that R22 refuses, with a
valid proof of possession (so today's checks of size, exponent and signature
all pass): usage weak_csr.py roca|smallfactor|smallfactor65521|fermat|fermatlate OUT.der

roca:        p, q of RSALib's form k * M + (65537^a mod M), M = 2 * 3 * ... * 167
             (Nemec et al. 2017): n carries the ROCA fingerprint.
smallfactor: n = 3 * q (q a 2046-bit prime).
smallfactor65521: n = 65521 * q, the largest prime below 2^16 (issue 15: the
             gcd with the product of the primes must reach the last one).
fermat:      q = the next prime after p.
fermatlate:  q about 20 * sqrt(p) above p: Fermat's method finds the factors
             only at step 40..63 of its 64 (issue 15: the square filter must
             not skip the step).
"""
import math
import secrets
import subprocess
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

E = 65537
SMALL = [p for p in range(3, 2000) if all(p % d for d in range(2, int(p ** 0.5) + 1))]


def is_prime(n, rounds=32):
    if n < 2:
        return False
    for p in SMALL:
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for _ in range(rounds):
        a = secrets.randbelow(n - 3) + 2
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def rand_prime(lo, hi):
    while True:
        c = (lo + secrets.randbelow(hi - lo)) | 1
        if math.gcd(c - 1, E) == 1 and is_prime(c):
            return c


def roca_prime(bits):
    m = 2
    for p in [3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71,
              73, 79, 83, 89, 97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151,
              157, 163, 167]:
        m *= p
    lo = math.isqrt(1 << (2 * bits - 1)) // m + 1	# p >= sqrt(2) * 2^(bits-1): n has 2 * bits bits
    hi = (1 << bits) // m - 1
    while True:
        c = (lo + secrets.randbelow(hi - lo)) * m + pow(E, secrets.randbits(64), m)
        if math.gcd(c - 1, E) == 1 and is_prime(c):
            return c


def key(p, q):
    n = p * q
    assert n.bit_length() == 2048, n.bit_length()
    lam = (p - 1) * (q - 1) // math.gcd(p - 1, q - 1)
    d = pow(E, -1, lam)
    pub = rsa.RSAPublicNumbers(E, n)
    priv = rsa.RSAPrivateNumbers(p, q, d, d % (p - 1), d % (q - 1), pow(q, -1, p), pub)
    try:
        return priv.private_key(unsafe_skip_rsa_key_validation=True)
    except TypeError:	# cryptography < 39 (Debian 12: 38) always validates
        return priv.private_key()


def main():
    kind, out = sys.argv[1], sys.argv[2]
    if kind == "roca":
        while True:
            p, q = roca_prime(1024), roca_prime(1024)
            if (p * q).bit_length() == 2048:
                break
        k = key(p, q)
    elif kind == "smallfactor":
        while True:	# openssl's 2046-bit primes have the top two bits set: 3q has 2048
            q = int(subprocess.run(["openssl", "prime", "-generate", "-bits", "2046"],
                                   check=True, capture_output=True, text=True).stdout)
            if math.gcd(q - 1, E) == 1:
                break
        k = key(3, q)
    elif kind == "smallfactor65521":
        q = rand_prime(-(-(1 << 2047) // 65521), (1 << 2048) // 65521)
        k = key(65521, q)
    elif kind == "fermatlate":
        while True:
            p = rand_prime(3 << 1022, 1 << 1024)
            q = p + 20 * math.isqrt(p)
            q |= 1
            while not is_prime(q) or math.gcd(q - 1, E) != 1:
                q += 2
            n = p * q
            a0 = math.isqrt(n)
            a0 += a0 * a0 < n
            if 40 <= (p + q) // 2 - a0 < 64 and n.bit_length() == 2048:
                break
        k = key(p, q)
    elif kind == "fermat":
        p = rand_prime(3 << 1022, 1 << 1024)
        q = p + 2
        while not is_prime(q) or math.gcd(q - 1, E) != 1:
            q += 2
        k = key(p, q)
    else:
        sys.exit("usage: weak_csr.py roca|smallfactor|smallfactor65521|fermat|fermatlate OUT.der")
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "weak")]))
           .sign(k, hashes.SHA256()))
    with open(out, "wb") as f:
        f.write(csr.public_bytes(serialization.Encoding.DER))


main()
