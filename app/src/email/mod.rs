//! Outgoing email: a file outbox (zero configuration), SMTP, or Mailgun's HTTP API.
mod reminder;
mod templates;

pub use reminder::{ReminderLine, ShopReminder, reminder_of};
pub use templates::{confirmation, reminder};

use crate::domain::redact;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::{AsyncFileTransport, AsyncTransport, Tokio1Executor};
use std::path::PathBuf;

/// One message, already rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Groups messages in the provider's analytics (Mailgun `o:tag`).
    pub tag: &'static str,
}

pub enum Mailer {
    Outbox {
        dir: PathBuf,
        transport: AsyncFileTransport<Tokio1Executor>,
        from: Mailbox,
    },
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: Mailbox,
    },
    Mailgun {
        http: reqwest::Client,
        endpoint: String,
        api_key: String,
        from: String,
    },
}

/// Built through [`MailError::invalid`] and [`MailError::transport`], which mask addresses:
/// the text ends up in the activity's failure, which Temporal keeps in history (unencrypted,
/// unlike payloads) and shows in its Web UI, and mail servers quote the recipient.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The message can never be sent as it is (bad address): do not retry.
    #[error("message rejected: {0}")]
    Invalid(String),
    /// Transport trouble: retry later.
    #[error("mail transport failed: {0}")]
    Transport(String),
}

impl MailError {
    pub fn invalid(why: impl std::fmt::Display) -> Self {
        MailError::Invalid(redact::addresses(&why.to_string()).into_owned())
    }

    pub fn transport(why: impl std::fmt::Display) -> Self {
        MailError::Transport(redact::addresses(&why.to_string()).into_owned())
    }
}

impl Mailer {
    pub fn outbox(dir: PathBuf, from: &str) -> Result<Self, MailError> {
        std::fs::create_dir_all(&dir)
            .map_err(|e| MailError::transport(format!("cannot create {}: {e}", dir.display())))?;
        let transport = AsyncFileTransport::<Tokio1Executor>::new(&dir);
        Ok(Mailer::Outbox {
            dir,
            transport,
            from: mailbox(from)?,
        })
    }

    /// `url` as lettre reads it: `smtp://host:port`, `smtps://user:pass@host`, `...?tls=required`.
    pub fn smtp(url: &str, from: &str) -> Result<Self, MailError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| MailError::invalid(format!("SMTP URL: {e}")))?
            .build();
        Ok(Mailer::Smtp {
            transport,
            from: mailbox(from)?,
        })
    }

    /// `base` is `https://api.mailgun.net` (or the EU host, or a test server).
    pub fn mailgun(base: &str, domain: &str, api_key: &str, from: &str) -> Result<Self, MailError> {
        mailbox(from)?;
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(20))
            .build()
            .map_err(MailError::transport)?;
        Ok(Mailer::Mailgun {
            http,
            endpoint: format!("{}/v3/{domain}/messages", base.trim_end_matches('/')),
            api_key: api_key.to_owned(),
            from: from.to_owned(),
        })
    }

    pub fn describe(&self) -> String {
        match self {
            Mailer::Outbox { dir, .. } => format!("file outbox at {}", dir.display()),
            Mailer::Smtp { .. } => "SMTP".into(),
            Mailer::Mailgun { endpoint, .. } => format!("Mailgun ({endpoint})"),
        }
    }

    pub async fn send(&self, email: &Message) -> Result<(), MailError> {
        match self {
            Mailer::Outbox { transport, from, .. } => {
                transport
                    .send(message(from, email)?)
                    .await
                    .map_err(MailError::transport)?;
            }
            Mailer::Smtp { transport, from } => {
                transport.send(message(from, email)?).await.map_err(|e| {
                    if e.is_permanent() {
                        MailError::invalid(e)
                    } else {
                        MailError::transport(e)
                    }
                })?;
            }
            Mailer::Mailgun {
                http,
                endpoint,
                api_key,
                from,
            } => {
                let form = [
                    ("from", from.as_str()),
                    ("to", email.to.as_str()),
                    ("subject", email.subject.as_str()),
                    ("text", email.text.as_str()),
                    ("html", email.html.as_str()),
                    ("o:tag", email.tag),
                ];
                let response = http
                    .post(endpoint)
                    .basic_auth("api", Some(api_key))
                    .form(&form)
                    .send()
                    .await
                    .map_err(|e| MailError::transport(e.without_url()))?;
                let status = response.status();
                if !status.is_success() {
                    let body = response.text().await.unwrap_or_default();
                    let err = format!(
                        "Mailgun answered {status}: {}",
                        body.chars().take(200).collect::<String>()
                    );
                    return Err(if status.is_client_error() && status.as_u16() != 429 {
                        MailError::invalid(err)
                    } else {
                        MailError::transport(err)
                    });
                }
            }
        }
        Ok(())
    }
}

/// The shop's own sender address: named in the error, since it is configuration, not a shopper's.
fn mailbox(s: &str) -> Result<Mailbox, MailError> {
    s.parse()
        .map_err(|e| MailError::invalid(format!("sender address {s:?}: {e}")))
}

/// A shopper's address that the shop took but lettre will not (`a..b@x.jp`): said without it.
fn recipient(s: &str) -> Result<Mailbox, MailError> {
    s.parse()
        .map_err(|e| MailError::invalid(format!("the recipient's address cannot take mail ({e})")))
}

fn message(from: &Mailbox, email: &Message) -> Result<lettre::Message, MailError> {
    lettre::Message::builder()
        .from(from.clone())
        .to(recipient(&email.to)?)
        .subject(&email.subject)
        .multipart(MultiPart::alternative_plain_html(
            email.text.clone(),
            email.html.clone(),
        ))
        .map_err(MailError::invalid)
}
