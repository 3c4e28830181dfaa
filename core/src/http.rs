//! The one HTTP exchange the library makes on its own (a TSA, OCSP responders, CRL
//! distribution points, the platform's seal status): bounded in time and in the size of the
//! answer, and anything but 200 is an error. Errors are the reason as text; each caller says
//! what it was fetching.

use std::time::Duration;

/// What to send.
pub(crate) enum Request<'a> {
    /// A GET, with the media type asked for (if any).
    Get { accept: Option<&'a str> },
    /// A POST of `body` as `content_type`.
    Post {
        content_type: &'a str,
        body: &'a [u8],
    },
}

/// The body of a 200 answer from `url`, at most `max` bytes, within `timeout`.
pub(crate) fn exchange(
    url: &str,
    request: Request<'_>,
    max: usize,
    timeout: Duration,
) -> Result<Vec<u8>, String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .build()
        .into();
    let sent = match request {
        Request::Get { accept } => {
            let get = agent.get(url);
            match accept {
                Some(a) => get.header("Accept", a).call(),
                None => get.call(),
            }
        }
        Request::Post { content_type, body } => agent
            .post(url)
            .header("Content-Type", content_type)
            .send(body),
    };
    let mut resp = sent.map_err(|e| e.to_string())?;
    if resp.status() != 200 {
        return Err(format!("status {}", resp.status()));
    }
    resp.body_mut()
        .with_config()
        .limit(max as u64)
        .read_to_vec()
        .map_err(|e| e.to_string())
}
