//! Mail through an SMTP server: `smtp://host:25` (plain, e.g. a relay on the same
//! network), `smtp://user:pass@host:587?tls=required` (STARTTLS) or
//! `smtps://user:pass@host:465` (TLS from the start, as 企业邮箱 services ask), with the
//! operating system's trusted certificates.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use guanxi_services::mail::{MailSender, MailSettings, OutgoingMail};
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl MailSender for Smtp {
    fn send<'a>(
        &'a self,
        mail: &'a OutgoingMail,
    ) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>> {
        Box::pin(async move {
            let to: Mailbox = mail
                .to
                .parse()
                .map_err(|e| format!("recipient {}: {e}", mail.to))?;
            let message = Message::builder()
                .from(self.from.clone())
                .to(to)
                .subject(&mail.subject)
                .header(ContentType::TEXT_PLAIN)
                .body(mail.body.clone())
                .map_err(|e| e.to_string())?;
            self.transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
    }
}

/// The server part of an SMTP URL, without user and password (for logs and the outbox
/// page).
fn server_of(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://{}", &url[..s], &url[at + 1..]),
        _ => url.to_string(),
    }
}

/// Mail settings from the SMTP URL, the sender address and the public address of this
/// installation (for links in mail); a message naming what is wrong otherwise.
pub fn settings(smtp_url: &str, from: &str, public_url: &str) -> Result<MailSettings, String> {
    let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
        .map_err(|e| format!("GUANXI_SMTP_URL {}: {e}", server_of(smtp_url)))?
        .build();
    let from: Mailbox = from
        .parse()
        .map_err(|e| format!("GUANXI_MAIL_FROM {from:?}: {e}"))?;
    if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
        return Err(format!(
            "GUANXI_PUBLIC_URL {public_url:?}: an http:// or https:// address"
        ));
    }
    Ok(MailSettings {
        server: server_of(smtp_url),
        public_url: public_url.trim_end_matches('/').to_string(),
        sender: Arc::new(Smtp { transport, from }),
    })
}

#[cfg(test)]
mod tests {
    use super::{server_of, settings};

    #[test]
    fn the_password_never_leaves_the_url() {
        assert_eq!(
            server_of("smtps://crm%40acme.cn:secret@smtp.exmail.qq.com:465"),
            "smtps://smtp.exmail.qq.com:465"
        );
        assert_eq!(server_of("smtp://relay:25"), "smtp://relay:25");
    }

    #[test]
    fn bad_settings_are_named() {
        let e = settings("ftp://x", "crm@acme.cn", "https://crm.acme.cn")
            .err()
            .unwrap();
        assert!(e.starts_with("GUANXI_SMTP_URL"), "{e}");
        let e = settings("smtp://relay:25", "not an address", "https://crm.acme.cn")
            .err()
            .unwrap();
        assert!(e.starts_with("GUANXI_MAIL_FROM"), "{e}");
        let e = settings("smtp://relay:25", "crm@acme.cn", "crm.acme.cn")
            .err()
            .unwrap();
        assert!(e.starts_with("GUANXI_PUBLIC_URL"), "{e}");
    }
}
