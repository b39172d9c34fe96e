// SPDX-License-Identifier: GPL-3.0-or-later
//! The signatures of passive authentication: ECDSA on every curve that eID
//! documents use, and RSA with PKCS #1 v1.5 or PSS padding, each with
//! SHA-224 to SHA-512 (BSI TR-03116-2 2.2, ICAO Doc 9303-12 4.4 and 4.1.6.2
//! with RFC 4055, RFC 5639 for the Brainpool curves, SEC 2 / FIPS 186-4 for
//! the NIST curves).
//!
//! A key's elliptic-curve domain parameters come either as a named curve or
//! explicitly (RFC 3279 2.3.5, as German documents carry them); explicit
//! parameters are accepted only when they are exactly those of one of the
//! curves in [`CURVES`], so that a certificate cannot bring a weak curve of
//! its own.
//!
//! Everything checked here is public (certificates and signatures), so the
//! arithmetic is plain variable-time big-integer arithmetic: no secret can
//! leak through its timing.

use num_bigint::BigUint;
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};

use crate::card_access::ObjectIdentifier;
use crate::passive_auth::PaError;
use crate::tlv::{self, Tlv};

const ID_EC_PUBLIC_KEY: [u8; 7] = [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01];
const ID_PRIME_FIELD: [u8; 7] = [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x01, 0x01];
const ID_ECDSA_WITH_SHA2: [u8; 7] = [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03];
const ID_PKCS1: [u8; 8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01];
const ID_NIST_HASH: [u8; 8] = [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02];
/// rsaEncryption, RSASSA-PSS, MGF1 and the PKCS #1 v1.5 signatures: arcs below 1.2.840.113549.1.1.
const RSA_ENCRYPTION: u8 = 1;
const RSASSA_PSS: u8 = 10;
const MGF1: u8 = 8;
/// The RSA moduli accepted: from the 2048 bits BSI TR-03116-2 requires at
/// least, to 8192 bits, so that a hostile card's certificate cannot make
/// the terminal compute for minutes.
const RSA_BITS: std::ops::RangeInclusive<u64> = 2048..=8192;
/// The largest public exponent accepted (65537 is the one in use).
const RSA_EXPONENT_BITS: u64 = 64;

/// A SHA-2 hash function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hash {
    /// SHA-224.
    Sha224,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl Hash {
    /// The hash named by a digest algorithm OID (2.16.840.1.101.3.4.2.1 to .4).
    pub fn from_oid(oid: &[u8]) -> Option<Self> {
        match oid.strip_prefix(&ID_NIST_HASH[..])? {
            [1] => Some(Self::Sha256),
            [2] => Some(Self::Sha384),
            [3] => Some(Self::Sha512),
            [4] => Some(Self::Sha224),
            _ => None,
        }
    }

    fn oid(self) -> Vec<u8> {
        let arc = match self {
            Self::Sha256 => 1,
            Self::Sha384 => 2,
            Self::Sha512 => 3,
            Self::Sha224 => 4,
        };
        [&ID_NIST_HASH[..], &[arc]].concat()
    }

    /// The hash of `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha224 => Sha224::digest(data).to_vec(),
            Self::Sha256 => Sha256::digest(data).to_vec(),
            Self::Sha384 => Sha384::digest(data).to_vec(),
            Self::Sha512 => Sha512::digest(data).to_vec(),
        }
    }

    fn output_len(self) -> usize {
        match self {
            Self::Sha224 => 28,
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }
}

/// A signature algorithm of a certificate or a SignerInfo.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureAlgorithm {
    /// ecdsa-with-SHA224 to SHA512 (RFC 5758 3.2).
    Ecdsa(Hash),
    /// sha224WithRSAEncryption to sha512WithRSAEncryption (RFC 8017 A.2.4).
    RsaPkcs1(Hash),
    /// RSASSA-PSS (RFC 4055 3.1) with MGF1 and trailer field 1.
    RsaPss {
        /// The message's hash.
        hash: Hash,
        /// MGF1's hash.
        mgf_hash: Hash,
        /// The salt's length in bytes.
        salt_len: usize,
    },
}

impl SignatureAlgorithm {
    /// Reads an AlgorithmIdentifier (RFC 5280 4.1.1.2). Parameters that must
    /// be absent may also be NULL, as some issuers encode them. In a CMS
    /// SignerInfo, `rsaEncryption` names PKCS #1 v1.5 with the SignerInfo's
    /// digest algorithm (RFC 3370 3.2), which is `digest` there.
    pub fn parse(algorithm: &Tlv<'_>, digest: Option<Hash>) -> Result<Self, PaError> {
        let parts = algorithm.children()?;
        let (oid, params) = match parts.as_slice() {
            [oid, rest @ ..] if oid.tag.0 == 0x06 => (oid.value, rest.first()),
            _ => return Err(PaError::MalformedSignedData),
        };
        let unsupported = || PaError::UnsupportedAlgorithm(ObjectIdentifier(oid.to_vec()));
        let no_params = params.is_none_or(|p| p.tag.0 == 0x05 && p.value.is_empty());
        if let Some(arc) = oid.strip_prefix(&ID_ECDSA_WITH_SHA2[..]) {
            let hash = match arc {
                [1] => Hash::Sha224,
                [2] => Hash::Sha256,
                [3] => Hash::Sha384,
                [4] => Hash::Sha512,
                _ => return Err(unsupported()),
            };
            return if no_params { Ok(Self::Ecdsa(hash)) } else { Err(unsupported()) };
        }
        match oid.strip_prefix(&ID_PKCS1[..]) {
            Some([RSASSA_PSS]) => Self::pss(params.ok_or_else(unsupported)?).ok_or_else(unsupported),
            Some([RSA_ENCRYPTION]) if no_params => digest.map(Self::RsaPkcs1).ok_or_else(unsupported),
            Some([arc @ 11..=14]) if no_params => Ok(Self::RsaPkcs1(match arc {
                11 => Hash::Sha256,
                12 => Hash::Sha384,
                13 => Hash::Sha512,
                _ => Hash::Sha224,
            })),
            _ => Err(unsupported()),
        }
    }

    /// RSASSA-PSS-params (RFC 4055 3.1). The defaults (SHA-1) are refused:
    /// TR-03116-2 allows SHA-2 only.
    fn pss(params: &Tlv<'_>) -> Option<Self> {
        let (mut hash, mut mgf_hash, mut salt_len) = (None, None, None);
        for field in params.children().ok()? {
            let inner = tlv::parse_single(field.value).ok()?;
            match field.tag.0 {
                0xA0 => hash = Some(Hash::from_oid(inner.children().ok()?.first()?.value)?),
                0xA1 => {
                    let mgf = inner.children().ok()?;
                    let [mgf_oid, mgf_params, ..] = mgf.as_slice() else { return None };
                    if mgf_oid.value != [&ID_PKCS1[..], &[MGF1]].concat() {
                        return None;
                    }
                    mgf_hash = Some(Hash::from_oid(mgf_params.children().ok()?.first()?.value)?);
                }
                0xA2 => salt_len = Some(usize::try_from(integer(&inner)?).ok()?),
                0xA3 if integer(&inner)? == BigUint::from(1u8) => {}
                _ => return None,
            }
        }
        let hash = hash?;
        Some(Self::RsaPss { hash, mgf_hash: mgf_hash?, salt_len: salt_len.unwrap_or(20) })
    }

    /// The hash this algorithm signs with.
    pub fn hash(self) -> Hash {
        match self {
            Self::Ecdsa(hash) | Self::RsaPkcs1(hash) | Self::RsaPss { hash, .. } => hash,
        }
    }
}

/// A non-negative INTEGER.
fn integer(t: &Tlv<'_>) -> Option<BigUint> {
    match (t.tag.0, t.value) {
        (0x02, [first, ..]) if first & 0x80 == 0 => Some(BigUint::from_bytes_be(t.value)),
        _ => None,
    }
}

/// The domain parameters of a prime curve y² = x³ + ax + b over GF(p), as
/// big-endian hex.
#[derive(Debug, PartialEq, Eq)]
pub struct Curve {
    /// The curve's name.
    pub name: &'static str,
    /// Its OID (DER content).
    pub oid: &'static [u8],
    p: &'static str,
    a: &'static str,
    b: &'static str,
    gx: &'static str,
    gy: &'static str,
    n: &'static str,
}

/// The curves eID documents may use (TR-03116-2 2.2: Brainpool of RFC 5639;
/// ICAO 9303-12 also allows the NIST prime curves). All have cofactor 1.
/// The values are those `openssl ecparam -param_enc explicit` prints; a test
/// compares them.
pub const CURVES: &[Curve] = &[
    Curve {
        name: "brainpoolP224r1",
        oid: &[0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x05],
        p: "d7c134aa264366862a18302575d1d787b09f075797da89f57ec8c0ff",
        a: "68a5e62ca9ce6c1c299803a6c1530b514e182ad8b0042a59cad29f43",
        b: "2580f63ccfe44138870713b1a92369e33e2135d266dbb372386c400b",
        gx: "0d9029ad2c7e5cf4340823b2a87dc68c9e4ce3174c1e6efdee12c07d",
        gy: "58aa56f772c0726f24c6b89e4ecdac24354b9e99caa3f6d3761402cd",
        n: "d7c134aa264366862a18302575d0fb98d116bc4b6ddebca3a5a7939f",
    },
    Curve {
        name: "brainpoolP256r1",
        oid: &[0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x07],
        p: "a9fb57dba1eea9bc3e660a909d838d726e3bf623d52620282013481d1f6e5377",
        a: "7d5a0975fc2c3057eef67530417affe7fb8055c126dc5c6ce94a4b44f330b5d9",
        b: "26dc5c6ce94a4b44f330b5d9bbd77cbf958416295cf7e1ce6bccdc18ff8c07b6",
        gx: "8bd2aeb9cb7e57cb2c4b482ffc81b7afb9de27e1e3bd23c23a4453bd9ace3262",
        gy: "547ef835c3dac4fd97f8461a14611dc9c27745132ded8e545c1d54c72f046997",
        n: "a9fb57dba1eea9bc3e660a909d838d718c397aa3b561a6f7901e0e82974856a7",
    },
    Curve {
        name: "brainpoolP320r1",
        oid: &[0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x09],
        p: "d35e472036bc4fb7e13c785ed201e065f98fcfa6f6f40def4f92b9ec7893ec28fcd412b1f1b32e27",
        a: "3ee30b568fbab0f883ccebd46d3f3bb8a2a73513f5eb79da66190eb085ffa9f492f375a97d860eb4",
        b: "520883949dfdbc42d3ad198640688a6fe13f41349554b49acc31dccd884539816f5eb4ac8fb1f1a6",
        gx: "43bd7e9afb53d8b85289bcc48ee5bfe6f20137d10a087eb6e7871e2a10a599c710af8d0d39e20611",
        gy: "14fdd05545ec1cc8ab4093247f77275e0743ffed117182eaa9c77877aaac6ac7d35245d1692e8ee1",
        n: "d35e472036bc4fb7e13c785ed201e065f98fcfa5b68f12a32d482ec7ee8658e98691555b44c59311",
    },
    Curve {
        name: "brainpoolP384r1",
        oid: &[0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x0B],
        p: "8cb91e82a3386d280f5d6f7e50e641df152f7109ed5456b412b1da197fb71123acd3a729901d1a71874700133107ec53",
        a: "7bc382c63d8c150c3c72080ace05afa0c2bea28e4fb22787139165efba91f90f8aa5814a503ad4eb04a8c7dd22ce2826",
        b: "04a8c7dd22ce28268b39b55416f0447c2fb77de107dcd2a62e880ea53eeb62d57cb4390295dbc9943ab78696fa504c11",
        gx: "1d1c64f068cf45ffa2a63a81b7c13f6b8847a3e77ef14fe3db7fcafe0cbd10e8e826e03436d646aaef87b2e247d4af1e",
        gy: "8abe1d7520f9c2a45cb1eb8e95cfd55262b70b29feec5864e19c054ff99129280e4646217791811142820341263c5315",
        n: "8cb91e82a3386d280f5d6f7e50e641df152f7109ed5456b31f166e6cac0425a7cf3ab6af6b7fc3103b883202e9046565",
    },
    Curve {
        name: "brainpoolP512r1",
        oid: &[0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x0D],
        p: "aadd9db8dbe9c48b3fd4e6ae33c9fc07cb308db3b3c9d20ed6639cca703308717d4d9b009bc66842aecda12ae6a380e62881ff2f2d82c68528aa6056583a48f3",
        a: "7830a3318b603b89e2327145ac234cc594cbdd8d3df91610a83441caea9863bc2ded5d5aa8253aa10a2ef1c98b9ac8b57f1117a72bf2c7b9e7c1ac4d77fc94ca",
        b: "3df91610a83441caea9863bc2ded5d5aa8253aa10a2ef1c98b9ac8b57f1117a72bf2c7b9e7c1ac4d77fc94cadc083e67984050b75ebae5dd2809bd638016f723",
        gx: "81aee4bdd82ed9645a21322e9c4c6a9385ed9f70b5d916c1b43b62eef4d0098eff3b1f78e2d0d48d50d1687b93b97d5f7c6d5047406a5e688b352209bcb9f822",
        gy: "7dde385d566332ecc0eabfa9cf7822fdf209f70024a57b1aa000c55b881f8111b2dcde494a5f485e5bca4bd88a2763aed1ca2b2fa8f0540678cd1e0f3ad80892",
        n: "aadd9db8dbe9c48b3fd4e6ae33c9fc07cb308db3b3c9d20ed6639cca70330870553e5c414ca92619418661197fac10471db1d381085ddaddb58796829ca90069",
    },
    Curve {
        name: "NIST P-224",
        oid: &[0x2B, 0x81, 0x04, 0x00, 0x21],
        p: "ffffffffffffffffffffffffffffffff000000000000000000000001",
        a: "fffffffffffffffffffffffffffffffefffffffffffffffffffffffe",
        b: "b4050a850c04b3abf54132565044b0b7d7bfd8ba270b39432355ffb4",
        gx: "b70e0cbd6bb4bf7f321390b94a03c1d356c21122343280d6115c1d21",
        gy: "bd376388b5f723fb4c22dfe6cd4375a05a07476444d5819985007e34",
        n: "ffffffffffffffffffffffffffff16a2e0b8f03e13dd29455c5c2a3d",
    },
    Curve {
        name: "NIST P-256",
        oid: &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07],
        p: "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff",
        a: "ffffffff00000001000000000000000000000000fffffffffffffffffffffffc",
        b: "5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b",
        gx: "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296",
        gy: "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5",
        n: "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551",
    },
    Curve {
        name: "NIST P-384",
        oid: &[0x2B, 0x81, 0x04, 0x00, 0x22],
        p: "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffff",
        a: "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000fffffffc",
        b: "b3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aef",
        gx: "aa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a545e3872760ab7",
        gy: "3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e5f",
        n: "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973",
    },
    Curve {
        name: "NIST P-521",
        oid: &[0x2B, 0x81, 0x04, 0x00, 0x23],
        p: "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        a: "01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffc",
        b: "0051953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef109e156193951ec7e937b1652c0bd3bb1bf073573df883d2c34f1ef451fd46b503f00",
        gx: "00c6858e06b70404e9cd9e3ecb662395b4429c648139053fb521f828af606b4d3dbaa14b5e77efe75928fe1dc127a2ffa8de3348b3c1856a429bf97e7e31c2e5bd66",
        gy: "011839296a789a3bc0045c8a5fb42c7d1bd998f54449579b446817afbd17273e662c97ee72995ef42640c550b9013fad0761353c7086a272c24088be94769fd16650",
        n: "01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409",
    },
];

/// A curve's parameters as numbers.
struct Domain {
    p: BigUint,
    a: BigUint,
    b: BigUint,
    g: (BigUint, BigUint),
    n: BigUint,
}

fn hex(s: &str) -> BigUint {
    BigUint::parse_bytes(s.as_bytes(), 16).unwrap_or_default()
}

impl Curve {
    fn domain(&self) -> Domain {
        Domain { p: hex(self.p), a: hex(self.a), b: hex(self.b), g: (hex(self.gx), hex(self.gy)), n: hex(self.n) }
    }

    /// The curve with this OID.
    fn named(oid: &[u8]) -> Option<&'static Curve> {
        CURVES.iter().find(|c| c.oid == oid)
    }

    /// The curve whose parameters are exactly these explicit ECParameters
    /// (RFC 3279 2.3.5: version 1, prime field, a, b, optional seed, the
    /// base point, the order, the optional cofactor).
    fn explicit(params: &Tlv<'_>) -> Option<&'static Curve> {
        let parts = params.children().ok()?;
        let [version, field, curve, base, order, rest @ ..] = parts.as_slice() else { return None };
        let field = field.children().ok()?;
        let [field_type, p] = field.as_slice() else { return None };
        let coefficients = curve.children().ok()?;
        let [a, b, ..] = coefficients.as_slice() else { return None };
        if integer(version)? != BigUint::from(1u8) || field_type.value != ID_PRIME_FIELD || base.tag.0 != 0x04 {
            return None;
        }
        let cofactor = match rest {
            [] => BigUint::from(1u8),
            [cofactor] => integer(cofactor)?,
            _ => return None,
        };
        let (p, a, b, n) =
            (integer(p)?, BigUint::from_bytes_be(a.value), BigUint::from_bytes_be(b.value), integer(order)?);
        CURVES.iter().find(|c| {
            let d = c.domain();
            d.p == p
                && d.a == a
                && d.b == b
                && d.n == n
                && cofactor == BigUint::from(1u8)
                && d.point(base.value) == Some(d.g.clone())
        })
    }
}

impl Domain {
    fn add(&self, x: &BigUint, y: &BigUint) -> BigUint {
        (x + y) % &self.p
    }

    fn sub(&self, x: &BigUint, y: &BigUint) -> BigUint {
        (x + &self.p - y) % &self.p
    }

    fn mul(&self, x: &BigUint, y: &BigUint) -> BigUint {
        x * y % &self.p
    }

    fn on_curve(&self, x: &BigUint, y: &BigUint) -> bool {
        let rhs = self.add(&self.add(&(x.modpow(&BigUint::from(3u8), &self.p)), &self.mul(&self.a, x)), &self.b);
        x < &self.p && y < &self.p && self.mul(y, y) == rhs
    }

    /// An uncompressed (SEC 1 2.3.4) point on this curve.
    fn point(&self, encoded: &[u8]) -> Option<(BigUint, BigUint)> {
        let len = self.p.bits().div_ceil(8) as usize;
        let [0x04, xy @ ..] = encoded else { return None };
        if xy.len() != 2 * len {
            return None;
        }
        let (x, y) = (BigUint::from_bytes_be(&xy[..len]), BigUint::from_bytes_be(&xy[len..]));
        self.on_curve(&x, &y).then_some((x, y))
    }

    /// 2P in Jacobian coordinates (X/Z², Y/Z³); `None` is the point at infinity.
    fn double(&self, point: &Option<Jacobian>) -> Option<Jacobian> {
        let Jacobian(x, y, z) = point.as_ref()?;
        if *y == BigUint::ZERO {
            return None;
        }
        let yy = self.mul(y, y);
        let s = self.mul(&BigUint::from(4u8), &self.mul(x, &yy));
        let zz = self.mul(z, z);
        let m = self.add(&self.mul(&BigUint::from(3u8), &self.mul(x, x)), &self.mul(&self.a, &self.mul(&zz, &zz)));
        let x3 = self.sub(&self.mul(&m, &m), &self.add(&s, &s));
        let y3 = self.sub(&self.mul(&m, &self.sub(&s, &x3)), &self.mul(&BigUint::from(8u8), &self.mul(&yy, &yy)));
        let z3 = self.mul(&BigUint::from(2u8), &self.mul(y, z));
        Some(Jacobian(x3, y3, z3))
    }

    /// P + Q in Jacobian coordinates.
    fn sum(&self, p: &Option<Jacobian>, q: &Option<Jacobian>) -> Option<Jacobian> {
        let (Some(Jacobian(x1, y1, z1)), Some(Jacobian(x2, y2, z2))) = (p, q) else {
            return p.clone().or_else(|| q.clone());
        };
        let (z1z1, z2z2) = (self.mul(z1, z1), self.mul(z2, z2));
        let (u1, u2) = (self.mul(x1, &z2z2), self.mul(x2, &z1z1));
        let (s1, s2) = (self.mul(y1, &self.mul(z2, &z2z2)), self.mul(y2, &self.mul(z1, &z1z1)));
        if u1 == u2 {
            return if s1 == s2 { self.double(p) } else { None };
        }
        let h = self.sub(&u2, &u1);
        let r = self.sub(&s2, &s1);
        let hh = self.mul(&h, &h);
        let hhh = self.mul(&h, &hh);
        let v = self.mul(&u1, &hh);
        let x3 = self.sub(&self.sub(&self.mul(&r, &r), &hhh), &self.add(&v, &v));
        let y3 = self.sub(&self.mul(&r, &self.sub(&v, &x3)), &self.mul(&s1, &hhh));
        let z3 = self.mul(&h, &self.mul(z1, z2));
        Some(Jacobian(x3, y3, z3))
    }

    /// The affine x coordinate of a finite point.
    fn affine_x(&self, point: &Jacobian) -> BigUint {
        let Jacobian(x, _, z) = point;
        let z_inv = z.modpow(&(&self.p - 2u8), &self.p);
        self.mul(x, &self.mul(&z_inv, &z_inv))
    }

    /// ECDSA verification (SEC 1 4.1.4, BSI TR-03111 4.2.1.2): u₁G + u₂Q has
    /// the x coordinate r (mod n).
    fn verify(&self, q: &(BigUint, BigUint), hash: &[u8], r: &BigUint, s: &BigUint) -> bool {
        let n = &self.n;
        if *r == BigUint::ZERO || r >= n || *s == BigUint::ZERO || s >= n {
            return false;
        }
        // The leftmost bits of the hash, as many as n has (SEC 1 4.1.3 step 5).
        let mut e = BigUint::from_bytes_be(hash);
        let hash_bits = 8 * hash.len() as u64;
        if hash_bits > n.bits() {
            e >>= hash_bits - n.bits();
        }
        let w = s.modpow(&(n - 2u8), n);
        let (u1, u2) = (e * &w % n, r * &w % n);
        let one = BigUint::from(1u8);
        let g = Some(Jacobian(self.g.0.clone(), self.g.1.clone(), one.clone()));
        let q = Some(Jacobian(q.0.clone(), q.1.clone(), one));
        let both = self.sum(&g, &q);
        let mut acc = None;
        for bit in (0..u1.bits().max(u2.bits())).rev() {
            acc = self.double(&acc);
            acc = match (u1.bit(bit), u2.bit(bit)) {
                (true, true) => self.sum(&acc, &both),
                (true, false) => self.sum(&acc, &g),
                (false, true) => self.sum(&acc, &q),
                (false, false) => acc,
            };
        }
        acc.is_some_and(|point| self.affine_x(&point) % n == *r)
    }
}

/// A point in Jacobian projective coordinates.
#[derive(Clone)]
struct Jacobian(BigUint, BigUint, BigUint);

/// A signer's public key from its SubjectPublicKeyInfo.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PublicKey {
    /// An elliptic-curve key on one of [`CURVES`].
    Ec {
        /// Its curve.
        curve: &'static Curve,
        /// The point, uncompressed (SEC 1 2.3.3).
        point: Vec<u8>,
    },
    /// An RSA key (RFC 8017 A.1.1).
    Rsa {
        /// The modulus.
        modulus: Vec<u8>,
        /// The public exponent.
        exponent: Vec<u8>,
    },
}

impl PublicKey {
    /// Reads a SubjectPublicKeyInfo (RFC 5280 4.1.2.7). An EC key on a curve
    /// outside [`CURVES`], named or explicit, and any other key type is
    /// [`PaError::UnsupportedAlgorithm`] with the OID that says why (the
    /// curve's, or the key type's); explicit parameters of no known curve
    /// are [`PaError::UnknownDomainParameters`], an RSA key outside 2048 to
    /// 8192 bits or with an even or over-long exponent [`PaError::RsaKeySize`].
    pub fn parse(spki: &Tlv<'_>) -> Result<Self, PaError> {
        let bad = || PaError::MalformedCertificate;
        let parts = spki.children()?;
        let [algorithm, key, ..] = parts.as_slice() else { return Err(bad()) };
        let algorithm = algorithm.children()?;
        let [kind, params @ ..] = algorithm.as_slice() else { return Err(bad()) };
        let key = match (key.tag.0, key.value) {
            (0x03, [0x00, rest @ ..]) => rest,
            _ => return Err(bad()),
        };
        if kind.value == ID_EC_PUBLIC_KEY {
            let curve = match params.first() {
                Some(named) if named.tag.0 == 0x06 => Curve::named(named.value)
                    .ok_or_else(|| PaError::UnsupportedAlgorithm(ObjectIdentifier(named.value.to_vec())))?,
                Some(explicit) if explicit.tag.0 == 0x30 => {
                    Curve::explicit(explicit).ok_or(PaError::UnknownDomainParameters)?
                }
                _ => return Err(bad()),
            };
            curve.domain().point(key).ok_or_else(bad)?;
            return Ok(Self::Ec { curve, point: key.to_vec() });
        }
        let rsa = [&ID_PKCS1[..], &[RSA_ENCRYPTION]].concat();
        let pss = [&ID_PKCS1[..], &[RSASSA_PSS]].concat();
        if kind.value == rsa || kind.value == pss {
            let numbers = tlv::parse_single(key)?.expect_tag(0x30)?.children()?;
            let [modulus, exponent] = numbers.as_slice() else { return Err(bad()) };
            let (Some(n), Some(e)) = (integer(modulus), integer(exponent)) else { return Err(bad()) };
            if !RSA_BITS.contains(&n.bits()) || e.bits() > RSA_EXPONENT_BITS || !e.bit(0) || e.bits() < 2 {
                return Err(PaError::RsaKeySize { modulus_bits: n.bits(), exponent_bits: e.bits() });
            }
            return Ok(Self::Rsa { modulus: modulus.value.to_vec(), exponent: exponent.value.to_vec() });
        }
        Err(PaError::UnsupportedAlgorithm(ObjectIdentifier(kind.value.to_vec())))
    }

    /// Whether `signature` (DER `ECDSA-Sig-Value` for ECDSA, RFC 3279 2.2.3;
    /// the octets for RSA) signs `message` with this key under `algorithm`.
    /// A key of the other kind than the algorithm never verifies.
    pub fn verifies(&self, algorithm: SignatureAlgorithm, message: &[u8], signature: &[u8]) -> bool {
        let hash = algorithm.hash().digest(message);
        match (self, algorithm) {
            (Self::Ec { curve, point }, SignatureAlgorithm::Ecdsa(_)) => {
                let domain = curve.domain();
                let (Some(q), Some((r, s))) = (domain.point(point), ecdsa_sig_value(signature)) else { return false };
                domain.verify(&q, &hash, &r, &s)
            }
            (Self::Rsa { modulus, exponent }, SignatureAlgorithm::RsaPkcs1(h)) => {
                rsa_message(modulus, exponent, signature).is_some_and(|em| em == pkcs1_encoding(h, &hash, em.len()))
            }
            (Self::Rsa { modulus, exponent }, SignatureAlgorithm::RsaPss { hash: h, mgf_hash, salt_len }) => {
                let mod_bits = BigUint::from_bytes_be(modulus).bits();
                rsa_message(modulus, exponent, signature)
                    .is_some_and(|em| pss_verify(&em, mod_bits - 1, h, mgf_hash, salt_len, &hash))
            }
            _ => false,
        }
    }
}

/// r and s of a DER `ECDSA-Sig-Value`.
fn ecdsa_sig_value(der: &[u8]) -> Option<(BigUint, BigUint)> {
    let parts = tlv::parse_single(der).ok()?.expect_tag(0x30).ok()?.children().ok()?;
    let [r, s] = parts.as_slice() else { return None };
    Some((integer(r)?, integer(s)?))
}

/// RSAVP1 (RFC 8017 5.2.2) and I2OSP into the modulus's length: the encoded
/// message, or `None` if the signature is out of range.
fn rsa_message(modulus: &[u8], exponent: &[u8], signature: &[u8]) -> Option<Vec<u8>> {
    let n = BigUint::from_bytes_be(modulus);
    let k = n.bits().div_ceil(8) as usize;
    let s = BigUint::from_bytes_be(signature);
    if signature.len() != k || s >= n {
        return None;
    }
    let m = s.modpow(&BigUint::from_bytes_be(exponent), &n).to_bytes_be();
    let mut em = vec![0u8; k.checked_sub(m.len())?];
    em.extend(m);
    Some(em)
}

/// EMSA-PKCS1-v1_5 (RFC 8017 9.2): 00 01 FF… 00 and the DigestInfo.
fn pkcs1_encoding(hash: Hash, digest: &[u8], len: usize) -> Vec<u8> {
    let mut algorithm = tlv::encode(0x06, &hash.oid());
    algorithm.extend([0x05, 0x00]);
    let mut info = tlv::encode(0x30, &algorithm);
    tlv::encode_into(0x04, digest, &mut info);
    let info = tlv::encode(0x30, &info);
    let mut em = vec![0x00, 0x01];
    em.resize(len.saturating_sub(info.len() + 1), 0xFF);
    em.push(0x00);
    em.extend(info);
    em
}

/// MGF1 (RFC 8017 B.2.1).
fn mgf1(hash: Hash, seed: &[u8], len: usize) -> Vec<u8> {
    let mut mask = Vec::with_capacity(len + hash.output_len());
    for counter in 0u32.. {
        if mask.len() >= len {
            break;
        }
        mask.extend(hash.digest(&[seed, &counter.to_be_bytes()].concat()));
    }
    mask.truncate(len);
    mask
}

/// EMSA-PSS-VERIFY (RFC 8017 9.1.2) of the encoded message `em` (the
/// modulus's length) with `em_bits` = modBits − 1.
fn pss_verify(em: &[u8], em_bits: u64, hash: Hash, mgf_hash: Hash, salt_len: usize, m_hash: &[u8]) -> bool {
    let em_len = em_bits.div_ceil(8) as usize;
    // With modBits − 1 a multiple of 8, the first octet of the modulus-length
    // message is a zero that is not part of EM.
    let em = match em.len() - em_len {
        0 => em,
        1 if em[0] == 0 => &em[1..],
        _ => return false,
    };
    let h_len = hash.output_len();
    if em_len < h_len + salt_len + 2 || em[em_len - 1] != 0xBC {
        return false;
    }
    let (masked_db, h) = em[..em_len - 1].split_at(em_len - h_len - 1);
    let unused = 8 * em_len as u64 - em_bits;
    let top_mask = 0xFFu8.checked_shr(u32::try_from(unused).unwrap_or(8)).unwrap_or(0);
    if masked_db[0] & !top_mask != 0 {
        return false;
    }
    let mut db: Vec<u8> = masked_db.iter().zip(mgf1(mgf_hash, h, masked_db.len())).map(|(a, b)| a ^ b).collect();
    db[0] &= top_mask;
    let padding = em_len - h_len - salt_len - 2;
    if db[..padding].iter().any(|b| *b != 0) || db[padding] != 0x01 {
        return false;
    }
    let salt = &db[padding + 1..];
    let m_prime = [&[0u8; 8][..], m_hash, salt].concat();
    hash.digest(&m_prime) == h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn algorithm(oid: &[u8], params: &[u8]) -> Vec<u8> {
        let mut value = tlv::encode(0x06, oid);
        value.extend_from_slice(params);
        tlv::encode(0x30, &value)
    }

    #[test]
    fn ecdsa_identifiers_are_read_with_absent_or_null_parameters() {
        let sha256 = [&ID_ECDSA_WITH_SHA2[..], &[2]].concat();
        for params in [&[][..], &[0x05, 0x00]] {
            let der = algorithm(&sha256, params);
            let parsed = SignatureAlgorithm::parse(&tlv::parse_single(&der).unwrap(), None);
            assert_eq!(parsed, Ok(SignatureAlgorithm::Ecdsa(Hash::Sha256)));
        }
        let with_junk = algorithm(&sha256, &[0x02, 0x01, 0x01]);
        assert!(SignatureAlgorithm::parse(&tlv::parse_single(&with_junk).unwrap(), None).is_err());
    }

    #[test]
    fn rsa_encryption_signs_with_the_signer_infos_digest_only() {
        let der = algorithm(&[&ID_PKCS1[..], &[RSA_ENCRYPTION]].concat(), &[0x05, 0x00]);
        let t = tlv::parse_single(&der).unwrap();
        assert_eq!(SignatureAlgorithm::parse(&t, Some(Hash::Sha384)), Ok(SignatureAlgorithm::RsaPkcs1(Hash::Sha384)));
        assert!(matches!(SignatureAlgorithm::parse(&t, None), Err(PaError::UnsupportedAlgorithm(_))));
    }

    #[test]
    fn pss_with_the_sha1_defaults_is_refused() {
        let der = algorithm(&[&ID_PKCS1[..], &[RSASSA_PSS]].concat(), &[0x30, 0x00]);
        assert!(SignatureAlgorithm::parse(&tlv::parse_single(&der).unwrap(), None).is_err());
    }

    #[test]
    fn ecdsa_refuses_r_or_s_out_of_range() {
        let curve = Curve::named(&[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07]).unwrap();
        let d = curve.domain();
        let hash = [0x11; 32];
        let one = BigUint::from(1u8);
        assert!(!d.verify(&d.g, &hash, &BigUint::ZERO, &one));
        assert!(!d.verify(&d.g, &hash, &one, &d.n));
    }

    #[test]
    fn every_curve_has_its_generator_on_it_and_a_prime_sized_order() {
        for curve in CURVES {
            let d = curve.domain();
            assert!(d.on_curve(&d.g.0, &d.g.1), "{}", curve.name);
            // Hasse: n is about p for cofactor 1.
            assert_eq!(d.n.bits(), d.p.bits(), "{}", curve.name);
            // n·G is the point at infinity.
            let g = Some(Jacobian(d.g.0.clone(), d.g.1.clone(), BigUint::from(1u8)));
            let mut acc = None;
            for bit in (0..d.n.bits()).rev() {
                acc = d.double(&acc);
                if d.n.bit(bit) {
                    acc = d.sum(&acc, &g);
                }
            }
            assert!(acc.is_none(), "{}", curve.name);
        }
    }

    #[test]
    fn an_rsa_key_too_small_or_with_an_even_exponent_is_refused() {
        let spki = |modulus: &[u8], exponent: &[u8]| {
            let mut numbers = tlv::encode(0x02, modulus);
            tlv::encode_into(0x02, exponent, &mut numbers);
            let mut bits = vec![0x00];
            bits.extend(tlv::encode(0x30, &numbers));
            let mut value = algorithm(&[&ID_PKCS1[..], &[RSA_ENCRYPTION]].concat(), &[0x05, 0x00]);
            tlv::encode_into(0x03, &bits, &mut value);
            tlv::encode(0x30, &value)
        };
        let mut modulus_2048 = vec![0x00, 0xC1];
        modulus_2048.extend([0x5A; 255]);
        let parse = |der: Vec<u8>| PublicKey::parse(&tlv::parse_single(&der).unwrap());
        assert!(parse(spki(&modulus_2048, &[0x01, 0x00, 0x01])).is_ok());
        assert!(matches!(parse(spki(&[0x00, 0xC1, 0x5A], &[0x01, 0x00, 0x01])), Err(PaError::RsaKeySize { .. })));
        assert!(matches!(parse(spki(&modulus_2048, &[0x01, 0x00, 0x00])), Err(PaError::RsaKeySize { .. })));
        assert!(matches!(parse(spki(&modulus_2048, &[0x01; 9])), Err(PaError::RsaKeySize { .. })));
    }
}
