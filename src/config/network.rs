//! Trusted proxies: addresses and networks whose forwarded headers are believed.

/// An address or a network in CIDR notation (`10.0.0.0/8`, `2001:db8::/32`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    base: std::net::IpAddr,
    prefix: u8,
}

impl Network {
    pub fn parse(raw: &str) -> Option<Self> {
        let (addr, prefix) = match raw.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix.parse::<u8>().ok()?)),
            None => (raw, None),
        };
        let base = addr.parse::<std::net::IpAddr>().ok()?.to_canonical();
        let bits = if base.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(bits);
        (prefix <= bits).then_some(Self { base, prefix })
    }

    pub fn contains(&self, addr: std::net::IpAddr) -> bool {
        use std::net::IpAddr;
        let masked = |value: u128, bits: u32| {
            let host_bits = bits - u32::from(self.prefix);
            value.checked_shr(host_bits).unwrap_or(0)
        };
        match (self.base, addr.to_canonical()) {
            (IpAddr::V4(base), IpAddr::V4(addr)) => {
                masked(u32::from(base).into(), 32) == masked(u32::from(addr).into(), 32)
            }
            (IpAddr::V6(base), IpAddr::V6(addr)) => {
                masked(u128::from(base), 128) == masked(u128::from(addr), 128)
            }
            _ => false,
        }
    }
}

/// The header the trusted proxies write the client's address into. Only that one is read: a
/// proxy passes the other through as the client sent it, and the client could choose its address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For`, what nginx, HAProxy, Caddy and most cloud balancers add by default.
    #[default]
    XForwardedFor,
    /// `Forwarded` (RFC 7239).
    Forwarded,
}

impl ForwardedHeader {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "x-forwarded-for" => Some(Self::XForwardedFor),
            "forwarded" => Some(Self::Forwarded),
            _ => None,
        }
    }
}
