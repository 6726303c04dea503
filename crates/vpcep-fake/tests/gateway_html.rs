//! `Fault::GatewayHtml` / `--fail-html`: an error page in HTML, as gateways send.

mod common;

use common::{client, list_url};
use vpcep_fake::{gateway_html_page, FakeConfig, FakeServer, Fault, RandomFaults};

#[tokio::test]
async fn scripted_and_random_html_faults_answer_with_a_gateway_page() {
    let fake = FakeServer::start(FakeConfig::new()).unwrap();
    fake.faults()
        .extend([Fault::gateway_html(502), Fault::gateway_html(504)]);
    let url = list_url(&fake.url());
    for status in [502, 504] {
        let resp = client().get(&url).send().await.unwrap();
        assert_eq!(resp.status().as_u16(), status);
        assert_eq!(resp.headers()["content-type"], "text/html");
        assert!(resp.headers().contains_key("x-request-id"));
        let body = resp.text().await.unwrap();
        assert_eq!(body, gateway_html_page(status));
    }
    assert!(gateway_html_page(502).contains("<title>502 Bad Gateway</title>"));
    assert_eq!(client().get(&url).send().await.unwrap().status(), 200);

    fake.set_random_faults(RandomFaults {
        fail_rate: 1.0,
        fail_status: 503,
        fail_html: true,
        ..RandomFaults::default()
    });
    let resp = client().get(&url).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 503);
    assert_eq!(resp.headers()["content-type"], "text/html");
    assert!(resp
        .text()
        .await
        .unwrap()
        .contains("<h1>503 Service Unavailable</h1>"));
}
