//! Throw-away certificates for testing the fake over HTTPS (feature `pki`): a CA and a
//! server certificate it signs, made fresh at every run (rcgen), in PEM, for
//! [`crate::TlsConfig::from_pem`] and the client's `add_root_certificate`.

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

/// A CA and one server certificate signed by it, in PEM.
pub struct Pki {
    /// The CA certificate (what a client must trust).
    pub ca_pem: String,
    /// The server certificate.
    pub cert_pem: String,
    /// The server certificate's private key (PKCS#8).
    pub key_pem: String,
}

impl Pki {
    /// A new CA named `ca_name`, and a server certificate for `names` (DNS names or IP
    /// addresses, e.g. `["localhost", "127.0.0.1"]`).
    pub fn new(ca_name: &str, names: &[&str]) -> Pki {
        let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name.push(DnType::CommonName, ca_name);
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_key = KeyPair::generate().expect("CA key");
        let ca_cert = ca.self_signed(&ca_key).expect("CA certificate");
        let issuer = Issuer::new(ca, ca_key);

        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut leaf = CertificateParams::new(names.clone()).expect("server params");
        leaf.distinguished_name.push(
            DnType::CommonName,
            names.first().cloned().unwrap_or_default(),
        );
        leaf.use_authority_key_identifier_extension = true;
        leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let leaf_key = KeyPair::generate().expect("server key");
        let leaf_cert = leaf
            .signed_by(&leaf_key, &issuer)
            .expect("server certificate");
        Pki {
            ca_pem: ca_cert.pem(),
            cert_pem: leaf_cert.pem(),
            key_pem: leaf_key.serialize_pem(),
        }
    }

    /// For the names a local server answers to: `localhost` and `127.0.0.1`.
    pub fn localhost() -> Pki {
        Pki::new("vpcep test CA", &["localhost", "127.0.0.1"])
    }
}
