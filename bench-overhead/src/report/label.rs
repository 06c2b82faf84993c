//! How setups, variants and network paths are named in the tables, in the published wording.

use bench_records::Variant;

/// Suffix of rows from a folder whose suite did not finish.
pub const PARTIAL_MARK: &str = "(partial)";
/// Suffix of rows copied from the old suite's publication.
pub const PUBLISHED_MARK: &str = "(published)";

/// The variant as the published table names it.
pub fn variant_label(variant: Variant) -> &'static str {
    match variant {
        Variant::Threaded => "Threaded",
        Variant::Poll => "poll()-based",
        Variant::Uring => "io_uring",
    }
}

/// `Linux (x86_64, 6.1.0-40-amd64) Threaded`, `Haiku (x86_64, hrev54280) poll()-based`.
///
/// The version is what tells two builds of one OS apart: the kernel release on Linux (and the other
/// Unixes), the hrev on Haiku (whose kernel release is always `1`). Empty parts are left out, so a
/// setup known only by its architecture reads `Haiku (x86_64) Threaded`, as published.
pub fn setup_label(
    os: &str,
    os_version: &str,
    arch: &str,
    kernel: &str,
    variant: Variant,
) -> String {
    format!(
        "{} {}",
        machine_label(os, os_version, arch, kernel),
        variant_label(variant)
    )
}

/// The machine part of a setup label: `Linux (x86_64, 6.1.0-40-amd64)`, `Haiku (x86_64)`.
pub fn machine_label(os: &str, os_version: &str, arch: &str, kernel: &str) -> String {
    let os = if os.is_empty() { "Unknown OS" } else { os };
    let version = if os == "Haiku" { os_version } else { kernel };
    let details: Vec<&str> = [arch, version]
        .into_iter()
        .filter(|part| !part.is_empty())
        .collect();
    if details.is_empty() {
        os.to_string()
    } else {
        format!("{os} ({})", details.join(", "))
    }
}

/// The line above a table, in the published wording: `Over loopback (127.0.0.1):`.
///
/// `address` is the one server address every row used, when they agree.
pub fn table_title(network: &str, address: Option<&str>) -> String {
    match (network, address) {
        ("QEMU user net", _) => "Over QEMU user networking (guest downloads from the host):".into(),
        ("", _) => "Over an unlabelled network path:".into(),
        (network, Some(address)) if !address.is_empty() => format!("Over {network} ({address}):"),
        (network, _) => format!("Over {network}:"),
    }
}

/// Bytes as MiB for the condition columns: `200 MiB`.
pub fn payload_label(bytes: u64) -> String {
    if bytes == 0 {
        "—".to_string()
    } else {
        format!(
            "{} MiB",
            super::number::g(bytes as f64 / crate::units::MIB as f64)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_read_as_published() {
        assert_eq!(
            setup_label(
                "Linux",
                "Debian GNU/Linux 12",
                "x86_64",
                "6.1.0-40-amd64",
                Variant::Threaded
            ),
            "Linux (x86_64, 6.1.0-40-amd64) Threaded"
        );
        assert_eq!(
            setup_label("Haiku", "hrev54280", "x86_64", "1", Variant::Poll),
            "Haiku (x86_64, hrev54280) poll()-based"
        );
        assert_eq!(
            setup_label("Haiku", "", "x86_gcc2h", "", Variant::Threaded),
            "Haiku (x86_gcc2h) Threaded"
        );
        assert_eq!(
            table_title("loopback", Some("127.0.0.1")),
            "Over loopback (127.0.0.1):"
        );
        assert_eq!(
            table_title("QEMU user net", Some("10.0.2.2")),
            "Over QEMU user networking (guest downloads from the host):"
        );
        assert_eq!(table_title("LAN", None), "Over LAN:");
    }
}
