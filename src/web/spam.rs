//! Spam protection without CAPTCHAs, which shut out blind and older people: a honeypot field and
//! rate limits per client address. There is no minimum fill time: autofill and people who know a
//! form are quick, and a person who filled in a form is never refused for it.
use std::net::IpAddr;

use actix_web::{
    HttpRequest,
    http::header::{self, HeaderMap},
};

use super::state::AppState;
use crate::config::{ForwardedHeader, Network};

/// Whether a bot filled in the honeypot field, which people never see (it is hidden from screen
/// readers too). Logged with the form's name, so a wave of spam shows in the log.
pub fn caught_in_honeypot(honeypot: &str, form: &'static str) -> bool {
    let caught = !honeypot.is_empty();
    if caught {
        tracing::info!(form, "honeypot filled; submission ignored");
    }
    caught
}

/// The address rate limits count by: the TCP peer, or, when the peer is a trusted proxy, the nearest
/// address in the configured forwarding header that is not a trusted proxy itself. Only the right
/// end of that header is written by our proxies; anything further left may be made up by the
/// client. An IPv6 client counts by its /64 network: one line holds at least that many addresses,
/// and a new one for every request would otherwise be a new bucket.
pub fn client_address(req: &HttpRequest) -> String {
    let Some(peer) = req.peer_addr().map(|a| a.ip().to_canonical()) else {
        return String::new();
    };
    let (trusted, header): (&[Network], ForwardedHeader) = req
        .app_data::<actix_web::web::Data<AppState>>()
        .map(|state| {
            (
                state.settings.trusted_proxies.as_slice(),
                state.settings.forwarded_header,
            )
        })
        .unwrap_or_default();
    bucket_of(forwarded_client(peer, trusted, header, req.headers()))
}

fn bucket_of(client: IpAddr) -> String {
    match client {
        IpAddr::V6(v6) => {
            let network = u128::from(v6) & !(u128::MAX >> 64);
            format!("{}/64", std::net::Ipv6Addr::from(network))
        }
        IpAddr::V4(_) => client.to_string(),
    }
}

fn forwarded_client(
    peer: IpAddr,
    trusted: &[Network],
    source: ForwardedHeader,
    headers: &HeaderMap,
) -> IpAddr {
    let is_trusted = |addr: IpAddr| trusted.iter().any(|net| net.contains(addr));
    if !is_trusted(peer) {
        return peer;
    }
    let hops: Vec<&str> = match source {
        ForwardedHeader::Forwarded => headers
            .get_all(header::FORWARDED)
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|element| {
                element.split(';').find_map(|pair| {
                    let (key, value) = pair.trim().split_once('=')?;
                    key.eq_ignore_ascii_case("for").then_some(value)
                })
            })
            .collect(),
        ForwardedHeader::XForwardedFor => headers
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .collect(),
    };
    let mut nearest = peer;
    for hop in hops.iter().rev() {
        // A hop that is no address ("unknown", an obfuscated name) ends the trail: the last trusted
        // hop is the best that is known.
        let Some(addr) = parse_hop(hop) else {
            return nearest;
        };
        if !is_trusted(addr) {
            return addr;
        }
        nearest = addr;
    }
    nearest
}

/// `203.0.113.7`, `203.0.113.7:4711`, `"[2001:db8::1]:4711"` or `2001:db8::1`.
fn parse_hop(raw: &str) -> Option<IpAddr> {
    let raw = raw.trim().trim_matches('"');
    if let Ok(addr) = raw.parse::<IpAddr>() {
        return Some(addr.to_canonical());
    }
    if let Ok(addr) = raw.parse::<std::net::SocketAddr>() {
        return Some(addr.ip().to_canonical());
    }
    raw.strip_prefix('[')
        .and_then(|rest| rest.split_once(']'))
        .and_then(|(addr, _)| addr.parse::<IpAddr>().ok())
        .map(|addr| addr.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                header::HeaderName::from_static(name),
                header::HeaderValue::from_static(value),
            );
        }
        map
    }

    fn client(peer: &str, trusted: &[&str], pairs: &[(&'static str, &'static str)]) -> String {
        client_via(ForwardedHeader::XForwardedFor, peer, trusted, pairs)
    }

    fn client_via(
        source: ForwardedHeader,
        peer: &str,
        trusted: &[&str],
        pairs: &[(&'static str, &'static str)],
    ) -> String {
        let trusted: Vec<Network> = trusted.iter().map(|n| Network::parse(n).unwrap()).collect();
        forwarded_client(peer.parse().unwrap(), &trusted, source, &headers(pairs)).to_string()
    }

    #[test]
    fn only_the_configured_header_is_read() {
        let both = [
            ("forwarded", "for=198.51.100.77"),
            ("x-forwarded-for", "203.0.113.9"),
        ];
        // A proxy that adds X-Forwarded-For passes a client's own `Forwarded` through untouched.
        assert_eq!(client("10.0.0.2", &["10.0.0.0/8"], &both), "203.0.113.9");
        assert_eq!(
            client_via(
                ForwardedHeader::Forwarded,
                "10.0.0.2",
                &["10.0.0.0/8"],
                &both
            ),
            "198.51.100.77"
        );
        assert_eq!(
            client(
                "10.0.0.2",
                &["10.0.0.0/8"],
                &[("forwarded", "for=198.51.100.77")]
            ),
            "10.0.0.2"
        );
    }

    #[test]
    fn an_ipv6_client_counts_by_its_network() {
        let bucket = |raw: &str| bucket_of(raw.parse().unwrap());
        assert_eq!(bucket("2001:db8:1:2::1"), "2001:db8:1:2::/64");
        assert_eq!(
            bucket("2001:db8:1:2:aaaa:bbbb:cccc:dddd"),
            "2001:db8:1:2::/64"
        );
        assert_ne!(bucket("2001:db8:1:3::1"), bucket("2001:db8:1:2::1"));
        assert_eq!(bucket("203.0.113.9"), "203.0.113.9");
    }

    #[test]
    fn forwarded_headers_count_only_from_trusted_proxies() {
        let xff = [("x-forwarded-for", "203.0.113.9")];
        // No proxy trusted, or a peer that is none: the header is whatever the client made up.
        assert_eq!(client("198.51.100.1", &[], &xff), "198.51.100.1");
        assert_eq!(
            client("198.51.100.1", &["10.0.0.0/8"], &xff),
            "198.51.100.1"
        );
        assert_eq!(client("10.0.0.2", &["10.0.0.0/8"], &xff), "203.0.113.9");
        // Read from the right: a forged entry on the left is skipped, trusted hops too.
        assert_eq!(
            client(
                "10.0.0.2",
                &["10.0.0.0/8"],
                &[("x-forwarded-for", "1.2.3.4, 203.0.113.9, 10.0.0.7")]
            ),
            "203.0.113.9"
        );
        assert_eq!(
            client(
                "10.0.0.2",
                &["10.0.0.0/8"],
                &[
                    ("x-forwarded-for", "1.2.3.4"),
                    ("x-forwarded-for", "203.0.113.9:5555")
                ]
            ),
            "203.0.113.9"
        );
        assert_eq!(
            client_via(
                ForwardedHeader::Forwarded,
                "10.0.0.2",
                &["10.0.0.0/8"],
                &[(
                    "forwarded",
                    "for=1.2.3.4, for=\"[2001:db8::7]:4711\";proto=https;by=10.0.0.2"
                )]
            ),
            "2001:db8::7"
        );
        // Only proxies in the chain: the farthest one is the client as far as anyone knows.
        assert_eq!(
            client(
                "10.0.0.2",
                &["10.0.0.0/8"],
                &[("x-forwarded-for", "10.0.0.9")]
            ),
            "10.0.0.9"
        );
        // Garbage ends the trail at the last trusted hop; no header leaves the peer.
        assert_eq!(
            client(
                "10.0.0.2",
                &["10.0.0.0/8"],
                &[("x-forwarded-for", "203.0.113.9, unknown")]
            ),
            "10.0.0.2"
        );
        assert_eq!(client("10.0.0.2", &["10.0.0.0/8"], &[]), "10.0.0.2");
        assert_eq!(
            client("::ffff:10.0.0.2", &["10.0.0.0/8"], &xff),
            "203.0.113.9"
        );
    }
}
