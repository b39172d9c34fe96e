// SPDX-License-Identifier: GPL-3.0-or-later
//! Thin bindings to OpenPACE (`libeac`, Debian `libeac-dev`) and the part of
//! libcrypto (OpenSSL 3) its API hands out, with safe owners around them.
//!
//! Only the card's side of the EAC protocols is bound: every cryptographic
//! step of PACE, Terminal and Chip Authentication, Restricted Identification
//! and secure messaging that
//! the simulated card performs is OpenPACE's, not ours. The signatures follow
//! the installed headers `eac/eac.h`, `eac/pace.h`, `eac/ta.h`, `eac/ca.h` and `eac/ri.h`
//! of OpenPACE 1.1.2.
#![allow(unsafe_code)]

use std::ffi::{c_char, c_int, c_void};
use std::ptr::NonNull;
use std::sync::Once;

use zeroize::Zeroizing;

/// `BUF_MEM` of OpenSSL (`openssl/buffer.h`): the layout is part of the
/// public OpenSSL 3 API.
#[repr(C)]
struct RawBufMem {
    length: usize,
    data: *mut c_char,
    max: usize,
    flags: std::ffi::c_ulong,
}

/// The leading fields of `EAC_CTX` (`eac/eac.h` of OpenPACE 1.1.2), up to
/// the selected Restricted Identification context; the struct is public
/// API and the rest is never touched from here.
#[repr(C)]
struct RawEacCtxHead {
    tr_version: c_int,
    bn_ctx: *mut c_void,
    md_ctx: *mut c_void,
    cipher_ctx: *mut c_void,
    pace_ctx: *mut c_void,
    pace_ctxs: *mut c_void,
    ri_ctx: *mut RawRiCtx,
}

/// `RI_CTX` (`eac/eac.h`): only `static_key` is written, with the card's
/// own RI key in place of the random one `EAC_CTX_init_ri` draws.
#[repr(C)]
struct RawRiCtx {
    protocol: c_int,
    id: c_int,
    md: *const c_void,
    generate_key: *const c_void,
    compute_key: *const c_void,
    static_key: *mut c_void,
}

#[link(name = "crypto")]
unsafe extern "C" {
    fn BUF_MEM_new() -> *mut RawBufMem;
    fn BUF_MEM_grow(buf: *mut RawBufMem, len: usize) -> usize;
    fn d2i_AutoPrivateKey(a: *mut *mut c_void, pp: *mut *const u8, length: std::ffi::c_long) -> *mut c_void;
}

#[link(name = "eac")]
unsafe extern "C" {
    fn EAC_init();
    fn EAC_CTX_new() -> *mut c_void;
    fn EAC_CTX_clear_free(ctx: *mut c_void);
    fn EAC_CTX_init_ef_cardaccess(input: *const u8, len: usize, ctx: *mut c_void) -> c_int;
    fn EAC_CTX_init_ta(
        ctx: *const c_void,
        privkey: *const u8,
        privkey_len: usize,
        cvca: *const u8,
        cvca_len: usize,
    ) -> c_int;
    fn EAC_CTX_set_encryption_ctx(ctx: *mut c_void, id: c_int) -> c_int;
    fn EAC_increment_ssc(ctx: *const c_void) -> c_int;
    fn EAC_reset_ssc(ctx: *const c_void) -> c_int;
    fn EAC_encrypt(ctx: *const c_void, data: *const RawBufMem) -> *mut RawBufMem;
    fn EAC_decrypt(ctx: *const c_void, data: *const RawBufMem) -> *mut RawBufMem;
    fn EAC_authenticate(ctx: *const c_void, data: *const RawBufMem) -> *mut RawBufMem;
    fn EAC_verify_authentication(ctx: *const c_void, data: *const RawBufMem, mac: *const RawBufMem) -> c_int;
    fn EAC_Comp(ctx: *const c_void, id: c_int, public: *const RawBufMem) -> *mut RawBufMem;
    fn BUF_MEM_clear_free(buf: *mut RawBufMem);

    fn PACE_SEC_new(secret: *const c_char, len: usize, kind: c_int) -> *mut c_void;
    fn PACE_SEC_clear_free(secret: *mut c_void);
    fn PACE_STEP1_enc_nonce(ctx: *const c_void, secret: *const c_void) -> *mut RawBufMem;
    fn PACE_STEP3A_generate_mapping_data(ctx: *const c_void) -> *mut RawBufMem;
    fn PACE_STEP3A_map_generator(ctx: *const c_void, input: *const RawBufMem) -> c_int;
    fn PACE_STEP3B_generate_ephemeral_key(ctx: *mut c_void) -> *mut RawBufMem;
    fn PACE_STEP3B_compute_shared_secret(ctx: *const c_void, input: *const RawBufMem) -> c_int;
    fn PACE_STEP3C_derive_keys(ctx: *const c_void) -> c_int;
    fn PACE_STEP3D_compute_authentication_token(ctx: *const c_void, public: *const RawBufMem) -> *mut RawBufMem;
    fn PACE_STEP3D_verify_authentication_token(ctx: *const c_void, token: *const RawBufMem) -> c_int;

    fn TA_STEP2_import_certificate(ctx: *const c_void, cert: *const u8, len: usize) -> c_int;
    fn TA_STEP4_get_nonce(ctx: *const c_void) -> *mut RawBufMem;
    fn TA_STEP6_verify(
        ctx: *const c_void,
        opp_ta_comp_eph_pubkey: *const RawBufMem,
        my_pace_comp_eph_pubkey: *const RawBufMem,
        auxdata: *const RawBufMem,
        signature: *const RawBufMem,
    ) -> c_int;

    static NID_id_RI_ECDH_SHA_256: c_int;
    fn EAC_CTX_init_ri(ctx: *mut c_void, protocol: c_int, stnd_dp: c_int) -> c_int;
    fn RI_STEP2_compute_identifier(ctx: *mut c_void, sector_pubkey: *const RawBufMem) -> *mut RawBufMem;

    fn CA_set_key(
        ctx: *const c_void,
        private: *const u8,
        private_len: usize,
        public: *const u8,
        public_len: usize,
    ) -> c_int;
    fn CA_STEP1_get_pubkey(ctx: *const c_void) -> *mut RawBufMem;
    fn CA_STEP4_compute_shared_secret(ctx: *const c_void, public: *const RawBufMem) -> c_int;
    fn CA_STEP5_derive_keys(
        ctx: *const c_void,
        public: *const RawBufMem,
        nonce: *mut *mut RawBufMem,
        token: *mut *mut RawBufMem,
    ) -> c_int;
}

/// Asks the kernel to acknowledge received TCP data at once on `socket`
/// (Linux `TCP_QUICKACK`, reset by the kernel after use, so it is set before
/// every read). vpcd writes a message as two segments; with delayed ACKs
/// each APDU would otherwise wait up to 40 ms for Nagle's algorithm.
pub fn quick_ack(socket: &std::net::TcpStream) {
    use std::os::fd::AsRawFd;
    let on: c_int = 1;
    // SAFETY: the descriptor is a live TCP socket owned by `socket` for the
    // duration of the call; the option value is a c_int of the given size.
    // A failure only loses the optimisation.
    unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_QUICKACK,
            (&raw const on).cast::<c_void>(),
            std::mem::size_of::<c_int>() as libc::socklen_t,
        );
    }
}

/// `EAC_ID_PACE` of `eac/eac.h`.
const EAC_ID_PACE: c_int = 0;
/// `EAC_ID_CA` of `eac/eac.h`.
const EAC_ID_CA: c_int = 1;

/// An OpenPACE call failed; the name says which.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("OpenPACE {0} failed")]
pub struct OpenPaceError(pub &'static str);

/// The password kinds of `enum s_type` in `eac/pace.h` (the values are
/// also the password references of TR-03110-3 D.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecretKind {
    /// `PACE_CAN`.
    Can = 2,
    /// `PACE_PIN`.
    Pin = 3,
    /// `PACE_PUK`.
    Puk = 4,
}

/// An owned `BUF_MEM`, wiped and freed on drop.
struct Buf(NonNull<RawBufMem>);

impl Buf {
    fn from_slice(bytes: &[u8]) -> Result<Self, OpenPaceError> {
        // SAFETY: BUF_MEM_new has no preconditions; a null result is checked.
        let raw = NonNull::new(unsafe { BUF_MEM_new() }).ok_or(OpenPaceError("BUF_MEM_new"))?;
        let buf = Buf(raw);
        if !bytes.is_empty() {
            // SAFETY: `raw` is a live BUF_MEM we own; BUF_MEM_grow returns
            // 0 on failure and otherwise makes `data` hold `len` bytes.
            if unsafe { BUF_MEM_grow(raw.as_ptr(), bytes.len()) } == 0 {
                return Err(OpenPaceError("BUF_MEM_grow"));
            }
            // SAFETY: after a successful grow `data` points to at least
            // `bytes.len()` writable bytes that do not overlap `bytes`.
            unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), (*raw.as_ptr()).data.cast::<u8>(), bytes.len()) };
        }
        Ok(buf)
    }

    /// Takes ownership of a `BUF_MEM*` returned by OpenPACE.
    fn take(raw: *mut RawBufMem, what: &'static str) -> Result<Self, OpenPaceError> {
        NonNull::new(raw).map(Buf).ok_or(OpenPaceError(what))
    }

    fn to_vec(&self) -> Vec<u8> {
        // SAFETY: we own a live BUF_MEM; when `length` is non-zero `data`
        // points to at least `length` initialised bytes (OpenSSL invariant).
        unsafe {
            let raw = &*self.0.as_ptr();
            if raw.length == 0 || raw.data.is_null() {
                Vec::new()
            } else {
                std::slice::from_raw_parts(raw.data.cast::<u8>(), raw.length).to_vec()
            }
        }
    }

    fn as_ptr(&self) -> *const RawBufMem {
        self.0.as_ptr()
    }
}

impl Drop for Buf {
    fn drop(&mut self) {
        // SAFETY: we own the BUF_MEM and drop it exactly once.
        unsafe { BUF_MEM_clear_free(self.0.as_ptr()) }
    }
}

/// A PACE password in OpenPACE's encoding, wiped and freed on drop.
struct Secret(NonNull<c_void>);

impl Secret {
    fn new(secret: &[u8], kind: SecretKind) -> Result<Self, OpenPaceError> {
        // SAFETY: the pointer and length describe `secret`, which
        // PACE_SEC_new copies; a null result is checked.
        let raw = unsafe { PACE_SEC_new(secret.as_ptr().cast::<c_char>(), secret.len(), kind as c_int) };
        NonNull::new(raw).map(Secret).ok_or(OpenPaceError("PACE_SEC_new"))
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        // SAFETY: we own the PACE_SEC and free it exactly once.
        unsafe { PACE_SEC_clear_free(self.0.as_ptr()) }
    }
}

fn ok(result: c_int, what: &'static str) -> Result<(), OpenPaceError> {
    if result == 1 { Ok(()) } else { Err(OpenPaceError(what)) }
}

static INIT: Once = Once::new();

/// The card's answer in Chip Authentication (TR-03110-3 B.11.6).
pub struct ChipAuthentication {
    /// `r_PICC`, the nonce of the key derivation.
    pub nonce: Vec<u8>,
    /// `T_PICC`, the authentication token over the terminal's key.
    pub token: Vec<u8>,
}

/// One card-side EAC context (`EAC_CTX`): PACE, TA, CA and the secure
/// messaging keys of one card session.
pub struct EacContext(NonNull<c_void>);

// SAFETY: the EAC_CTX is exclusively owned by this value and only used
// through `&mut self`/`&self` from one thread at a time; OpenSSL 3 objects
// are not bound to the thread that made them.
unsafe impl Send for EacContext {}

impl EacContext {
    /// A context configured from `EF.CardAccess`, trusting the CVCA
    /// certificate `cvca` for TA and holding the static CA key pair
    /// (`chip_key` in DER, as `d2i_AutoPrivateKey` reads it).
    pub fn new(card_access: &[u8], cvca: &[u8], chip_key: &[u8]) -> Result<Self, OpenPaceError> {
        // SAFETY: EAC_init has no preconditions and runs once.
        INIT.call_once(|| unsafe { EAC_init() });
        // SAFETY: EAC_CTX_new has no preconditions; null is checked.
        let raw = NonNull::new(unsafe { EAC_CTX_new() }).ok_or(OpenPaceError("EAC_CTX_new"))?;
        let ctx = EacContext(raw);
        // SAFETY: live context; pointer and length describe `card_access`.
        ok(
            unsafe { EAC_CTX_init_ef_cardaccess(card_access.as_ptr(), card_access.len(), ctx.ptr()) },
            "EAC_CTX_init_ef_cardaccess",
        )?;
        // SAFETY: live context; no terminal key (null, 0); the CVCA bytes
        // are read during the call only.
        ok(unsafe { EAC_CTX_init_ta(ctx.ptr(), std::ptr::null(), 0, cvca.as_ptr(), cvca.len()) }, "EAC_CTX_init_ta")?;
        // SAFETY: live context with a CA context from EF.CardAccess; the key
        // bytes are read during the call only; no separate public key.
        ok(unsafe { CA_set_key(ctx.ptr(), chip_key.as_ptr(), chip_key.len(), std::ptr::null(), 0) }, "CA_set_key")?;
        Ok(ctx)
    }

    fn ptr(&self) -> *mut c_void {
        self.0.as_ptr()
    }

    /// Sets up Restricted Identification with ECDH and SHA-256 on
    /// brainpoolP256r1 (standardized domain parameters 13) and the card's
    /// RI key `ri_key` (DER, as `d2i_AutoPrivateKey` reads it).
    pub fn init_restricted_identification(&mut self, ri_key: &[u8]) -> Result<(), OpenPaceError> {
        let len = std::ffi::c_long::try_from(ri_key.len()).map_err(|_| OpenPaceError("RI key length"))?;
        // SAFETY: EAC_init ran in `new`, so the NID is registered; live
        // context, exclusively borrowed.
        ok(unsafe { EAC_CTX_init_ri(self.ptr(), NID_id_RI_ECDH_SHA_256, 13) }, "EAC_CTX_init_ri")?;
        // SAFETY: after a successful EAC_CTX_init_ri the context's `ri_ctx`
        // (layout of `eac/eac.h`) points to the new, live RI_CTX, which the
        // context owns; d2i_AutoPrivateKey frees the random key held in
        // `static_key` and replaces it on success, and reads `len` bytes of
        // `ri_key` during the call only.
        unsafe {
            let ri = (*self.ptr().cast::<RawEacCtxHead>()).ri_ctx;
            if ri.is_null() {
                return Err(OpenPaceError("EAC_CTX_init_ri (no RI context)"));
            }
            let mut p = ri_key.as_ptr();
            if d2i_AutoPrivateKey(&raw mut (*ri).static_key, &raw mut p, len).is_null() {
                return Err(OpenPaceError("d2i_AutoPrivateKey (RI key)"));
            }
        }
        Ok(())
    }

    /// RI step 2: the card's identifier in the sector of `sector_key` (an
    /// uncompressed point), `SHA-256(x(SK_ID · PK_sector))`.
    pub fn restricted_identifier(&self, sector_key: &[u8]) -> Result<Zeroizing<Vec<u8>>, OpenPaceError> {
        let key = Buf::from_slice(sector_key)?;
        // SAFETY: live context with an RI context; the result is owned by `Buf`.
        Buf::take(unsafe { RI_STEP2_compute_identifier(self.ptr(), key.as_ptr()) }, "RI_STEP2_compute_identifier")
            .map(|b| Zeroizing::new(b.to_vec()))
    }

    /// The card's static Chip Authentication public key (CA step 1).
    pub fn chip_public_key(&self) -> Result<Vec<u8>, OpenPaceError> {
        // SAFETY: live context; the result is owned by `Buf`.
        Buf::take(unsafe { CA_STEP1_get_pubkey(self.ptr()) }, "CA_STEP1_get_pubkey").map(|b| b.to_vec())
    }

    /// PACE step 1: a fresh nonce encrypted with `K_π` of `password`.
    pub fn pace_encrypted_nonce(&self, password: &[u8], kind: SecretKind) -> Result<Vec<u8>, OpenPaceError> {
        let secret = Secret::new(password, kind)?;
        // SAFETY: live context and secret; the result is owned by `Buf`.
        Buf::take(unsafe { PACE_STEP1_enc_nonce(self.ptr(), secret.0.as_ptr()) }, "PACE_STEP1_enc_nonce")
            .map(|b| b.to_vec())
    }

    /// PACE step 3A (generic mapping): returns the card's mapping key and
    /// maps the generator with the terminal's mapping key.
    pub fn pace_map(&self, terminal_mapping_key: &[u8]) -> Result<Vec<u8>, OpenPaceError> {
        // SAFETY: live context; the result is owned by `Buf`.
        let own = Buf::take(unsafe { PACE_STEP3A_generate_mapping_data(self.ptr()) }, "PACE_STEP3A_generate")?;
        let input = Buf::from_slice(terminal_mapping_key)?;
        // SAFETY: live context and buffer.
        ok(unsafe { PACE_STEP3A_map_generator(self.ptr(), input.as_ptr()) }, "PACE_STEP3A_map_generator")?;
        Ok(own.to_vec())
    }

    /// PACE steps 3B and 3C: the card's ephemeral key, the shared secret with
    /// the terminal's ephemeral key, and the session keys.
    pub fn pace_agree(&mut self, terminal_key: &[u8]) -> Result<Vec<u8>, OpenPaceError> {
        // SAFETY: live context, exclusively borrowed; result owned by `Buf`.
        let own = Buf::take(unsafe { PACE_STEP3B_generate_ephemeral_key(self.ptr()) }, "PACE_STEP3B_generate")?;
        let input = Buf::from_slice(terminal_key)?;
        // SAFETY: live context and buffer.
        ok(unsafe { PACE_STEP3B_compute_shared_secret(self.ptr(), input.as_ptr()) }, "PACE_STEP3B_compute")?;
        // SAFETY: live context.
        ok(unsafe { PACE_STEP3C_derive_keys(self.ptr()) }, "PACE_STEP3C_derive_keys")?;
        Ok(own.to_vec())
    }

    /// PACE step 3D: checks the terminal's token; on success returns the
    /// card's token over the terminal's ephemeral key.
    pub fn pace_tokens(&self, terminal_key: &[u8], terminal_token: &[u8]) -> Result<Option<Vec<u8>>, OpenPaceError> {
        let token = Buf::from_slice(terminal_token)?;
        // SAFETY: live context and buffer.
        if unsafe { PACE_STEP3D_verify_authentication_token(self.ptr(), token.as_ptr()) } != 1 {
            return Ok(None);
        }
        let key = Buf::from_slice(terminal_key)?;
        // SAFETY: live context and buffer; the result is owned by `Buf`.
        let own = Buf::take(
            unsafe { PACE_STEP3D_compute_authentication_token(self.ptr(), key.as_ptr()) },
            "PACE_STEP3D_compute_authentication_token",
        )?;
        Ok(Some(own.to_vec()))
    }

    /// Uses the PACE keys for secure messaging from now on, SSC 0.
    pub fn use_pace_keys(&mut self) -> Result<(), OpenPaceError> {
        self.use_keys(EAC_ID_PACE)
    }

    /// Uses the Chip Authentication keys for secure messaging, SSC 0.
    pub fn use_ca_keys(&mut self) -> Result<(), OpenPaceError> {
        self.use_keys(EAC_ID_CA)
    }

    fn use_keys(&mut self, id: c_int) -> Result<(), OpenPaceError> {
        // SAFETY: live context, exclusively borrowed.
        ok(unsafe { EAC_CTX_set_encryption_ctx(self.ptr(), id) }, "EAC_CTX_set_encryption_ctx")?;
        // SAFETY: live context with keys set.
        ok(unsafe { EAC_reset_ssc(self.ptr()) }, "EAC_reset_ssc")
    }

    /// Increments the send sequence counter.
    pub fn increment_ssc(&mut self) -> Result<(), OpenPaceError> {
        // SAFETY: live context, exclusively borrowed.
        ok(unsafe { EAC_increment_ssc(self.ptr()) }, "EAC_increment_ssc")
    }

    /// AES-CBC encryption with `IV = E(K_enc, SSC)` of padded data.
    pub fn encrypt(&self, padded: &[u8]) -> Result<Vec<u8>, OpenPaceError> {
        let input = Buf::from_slice(padded)?;
        // SAFETY: live context and buffer; the result is owned by `Buf`.
        Buf::take(unsafe { EAC_encrypt(self.ptr(), input.as_ptr()) }, "EAC_encrypt").map(|b| b.to_vec())
    }

    /// AES-CBC decryption with `IV = E(K_enc, SSC)`; still padded.
    pub fn decrypt(&self, cipher: &[u8]) -> Result<Zeroizing<Vec<u8>>, OpenPaceError> {
        let input = Buf::from_slice(cipher)?;
        // SAFETY: live context and buffer; the result is owned by `Buf`.
        Buf::take(unsafe { EAC_decrypt(self.ptr(), input.as_ptr()) }, "EAC_decrypt").map(|b| Zeroizing::new(b.to_vec()))
    }

    /// The CMAC over `SSC || data` (data already padded).
    pub fn mac(&self, data: &[u8]) -> Result<Vec<u8>, OpenPaceError> {
        let input = Buf::from_slice(data)?;
        // SAFETY: live context and buffer; the result is owned by `Buf`.
        Buf::take(unsafe { EAC_authenticate(self.ptr(), input.as_ptr()) }, "EAC_authenticate").map(|b| b.to_vec())
    }

    /// Whether `mac` is the CMAC over `SSC || data`.
    pub fn verify_mac(&self, data: &[u8], mac: &[u8]) -> Result<bool, OpenPaceError> {
        let input = Buf::from_slice(data)?;
        let mac = Buf::from_slice(mac)?;
        // SAFETY: live context and buffers.
        Ok(unsafe { EAC_verify_authentication(self.ptr(), input.as_ptr(), mac.as_ptr()) } == 1)
    }

    /// TA step 2: verifies a CV certificate (`7F21`) against the current
    /// trust point and makes it the next one.
    pub fn import_certificate(&self, certificate: &[u8]) -> bool {
        // SAFETY: live context; pointer and length describe `certificate`.
        unsafe { TA_STEP2_import_certificate(self.ptr(), certificate.as_ptr(), certificate.len()) == 1 }
    }

    /// TA step 4: the card's challenge `r_PICC`.
    pub fn ta_nonce(&self) -> Result<Vec<u8>, OpenPaceError> {
        // SAFETY: live context; the result is owned by `Buf`.
        Buf::take(unsafe { TA_STEP4_get_nonce(self.ptr()) }, "TA_STEP4_get_nonce").map(|b| b.to_vec())
    }

    /// TA step 6: checks the terminal's signature over `ID_PICC || r_PICC ||
    /// Comp(PK_PCD) || aux`, with `ID_PICC = Comp(card's PACE key)`.
    pub fn ta_verify(
        &self,
        terminal_comp_key: &[u8],
        card_pace_key: &[u8],
        aux: Option<&[u8]>,
        signature: &[u8],
    ) -> Result<bool, OpenPaceError> {
        let id_picc = Buf::from_slice(&self.compressed(EAC_ID_PACE, card_pace_key)?)?;
        let terminal = Buf::from_slice(terminal_comp_key)?;
        let signature = Buf::from_slice(signature)?;
        let aux = aux.map(Buf::from_slice).transpose()?;
        let aux_ptr = aux.as_ref().map_or(std::ptr::null(), Buf::as_ptr);
        // SAFETY: live context and buffers; aux may be null (optional).
        let r =
            unsafe { TA_STEP6_verify(self.ptr(), terminal.as_ptr(), id_picc.as_ptr(), aux_ptr, signature.as_ptr()) };
        Ok(r == 1)
    }

    /// `Comp(PK)` of an uncompressed EC point as TR-03110-3 A.2.2.3 defines
    /// it: the x-coordinate, as a field element of fixed length (TR-03111
    /// 3.1.3, FE2OS). OpenPACE's `EAC_Comp` (`Comp` in `eac_util.c`) writes
    /// `BN_bn2bin(x)` and so drops leading zero octets, once in 256 keys; the
    /// result is left-padded here to the coordinate length of the point.
    fn compressed(&self, id: c_int, point: &[u8]) -> Result<Vec<u8>, OpenPaceError> {
        let field_len = point.len().saturating_sub(1) / 2;
        let input = Buf::from_slice(point)?;
        // SAFETY: live context and buffer; the result is owned by `Buf`.
        let comp = Buf::take(unsafe { EAC_Comp(self.ptr(), id, input.as_ptr()) }, "EAC_Comp")?.to_vec();
        if comp.len() > field_len {
            return Err(OpenPaceError("EAC_Comp (length)"));
        }
        let mut out = vec![0u8; field_len - comp.len()];
        out.extend_from_slice(&comp);
        Ok(out)
    }

    /// CA steps 3 to 5: checks the terminal's key against the compressed key
    /// it committed to in TA, agrees on a secret with the static key and
    /// derives the new keys. Returns nonce and token, or `None` when the key
    /// does not match the commitment.
    pub fn chip_authenticate(
        &self,
        committed: &[u8],
        terminal_key: &[u8],
    ) -> Result<Option<ChipAuthentication>, OpenPaceError> {
        // CA step 3 by hand: OpenPACE's CA_STEP3_check_pcd_pubkey compares
        // with its unpadded Comp (see `compressed`).
        if self.compressed(EAC_ID_CA, terminal_key)? != committed {
            return Ok(None);
        }
        let key = Buf::from_slice(terminal_key)?;
        // SAFETY: live context and buffer.
        ok(unsafe { CA_STEP4_compute_shared_secret(self.ptr(), key.as_ptr()) }, "CA_STEP4_compute_shared_secret")?;
        let mut nonce = std::ptr::null_mut();
        let mut token = std::ptr::null_mut();
        // SAFETY: live context and buffer; on success both out-pointers
        // receive BUF_MEMs we take ownership of below.
        let r = unsafe { CA_STEP5_derive_keys(self.ptr(), key.as_ptr(), &mut nonce, &mut token) };
        let nonce = Buf::take(nonce, "CA_STEP5_derive_keys (nonce)");
        let token = Buf::take(token, "CA_STEP5_derive_keys (token)");
        ok(r, "CA_STEP5_derive_keys")?;
        Ok(Some(ChipAuthentication { nonce: nonce?.to_vec(), token: token?.to_vec() }))
    }
}

impl Drop for EacContext {
    fn drop(&mut self) {
        // SAFETY: we own the context and free it exactly once.
        unsafe { EAC_CTX_clear_free(self.0.as_ptr()) }
    }
}
