//! Setup → Outgoing mail: the server mail goes through (never its password) and what was
//! sent, is waiting or failed, newest first.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use guanxi_core::Msg;
use guanxi_services::Crm;
use maud::html;

use super::{administrator, failure, frame, respond, t};

pub(super) const HERE: &str = "/admin/mail";

pub(super) async fn show(State(crm): State<Crm>, headers: HeaderMap) -> Response {
    let v = match administrator(&crm, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let l = v.locale;
    let mails = match crm.outbox(&v.actor).await {
        Ok(m) => m,
        Err(e) => return failure(e, l, Some(&v)),
    };
    let title = t(l, Msg::UiOutgoingMail);
    let content = html! {
        h1 { (title) }
        p.hint { (t(l, Msg::UiOutgoingMailHint)) }
        @match crm.mail() {
            Some(m) => p { (t(l, Msg::UiMailServer)) ": " code { (m.server) } },
            None => p.empty role="status" { (t(l, Msg::UiMailNotConfigured)) },
        }
        @if mails.is_empty() {
            p.empty { (t(l, Msg::UiNothingYet)) }
        } @else {
            div.table-wrap { table.records {
                thead { tr {
                    th scope="col" { (t(l, Msg::UiMailTo)) }
                    th scope="col" { (t(l, Msg::UiMailSubject)) }
                    th scope="col" { (t(l, Msg::UiMailStatus)) }
                    th scope="col" { (t(l, Msg::UiMailAttempts)) }
                } }
                tbody {
                    @for m in &mails {
                        tr {
                            td data-label=(t(l, Msg::UiMailTo)) { (m.to_address) }
                            td data-label=(t(l, Msg::UiMailSubject)) { (m.subject) }
                            td data-label=(t(l, Msg::UiMailStatus)) {
                                @match (&m.sent_at, &m.last_error) {
                                    (Some(at), _) => (Msg::UiMailSent.format(l, &[("at", &v.fmt().datetime(at))])),
                                    (None, Some(e)) => span.error { (Msg::UiMailFailed.format(l, &[("error", e)])) },
                                    (None, None) => (t(l, Msg::UiMailWaiting)),
                                }
                            }
                            td data-label=(t(l, Msg::UiMailAttempts)) { (m.attempts) }
                        }
                    }
                }
            } }
        }
    };
    respond(StatusCode::OK, frame(&crm, &v, HERE, HERE, title, content))
}
