//! Finding the practice's other workstations on the LAN with mDNS.
//!
//! Each workstation announces `_chartkeep._tcp` with its practice id and device id in the
//! TXT record, and browses for the others. What mDNS says is only a hint of where to
//! dial: anyone on the LAN can announce anything, and only the TLS handshake, which pins
//! a member's key, makes a peer trusted.

use std::net::SocketAddr;

use mdns_sd::{ServiceDaemon, ServiceEvent, ServiceInfo};
use tokio::sync::mpsc;
use uuid::Uuid;

pub const SERVICE: &str = "_chartkeep._tcp.local.";

/// A workstation that announced itself for this practice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub device: String,
    pub addresses: Vec<SocketAddr>,
}

/// A running announcement and browse; dropping it stops both.
pub struct Discovery {
    daemon: ServiceDaemon,
}

impl Discovery {
    /// Announces this workstation's listener on `port` and sends what it finds of
    /// `practice`'s other workstations to `found`.
    pub fn start(
        practice: Uuid,
        device: &[u8; 32],
        port: u16,
        found: mpsc::UnboundedSender<Found>,
    ) -> Result<Discovery, mdns_sd::Error> {
        let daemon = ServiceDaemon::new()?;
        let me = hex::encode(device);
        let instance = format!("chartkeep-{}", &me[..16]);
        let host = format!("{instance}.local.");
        let props = [("practice", practice.to_string()), ("device", me.clone())];
        let info =
            ServiceInfo::new(SERVICE, &instance, &host, "", port, &props[..])?.enable_addr_auto();
        daemon.register(info)?;
        let events = daemon.browse(SERVICE)?;
        let practice = practice.to_string();
        tokio::spawn(async move {
            while let Ok(e) = events.recv_async().await {
                let ServiceEvent::ServiceResolved(info) = e else {
                    continue;
                };
                if info.get_property_val_str("practice") != Some(practice.as_str()) {
                    continue;
                }
                let Some(device) = info.get_property_val_str("device") else {
                    continue;
                };
                if device == me {
                    continue;
                }
                let port = info.get_port();
                let addresses = info
                    .get_addresses()
                    .iter()
                    .map(|ip| SocketAddr::new(*ip, port))
                    .collect();
                if found
                    .send(Found {
                        device: device.to_string(),
                        addresses,
                    })
                    .is_err()
                {
                    break;
                }
            }
        });
        Ok(Discovery { daemon })
    }
}

impl Drop for Discovery {
    fn drop(&mut self) {
        let _ = self.daemon.shutdown();
    }
}
