use crate::support::{FakePd, Lens};

#[tokio::test]
async fn stores_through_the_real_http_path() {
    let pd = FakePd::start().await;
    pd.serve_v85_cluster();
    let lens = Lens::single(&[pd.url()]).await;
    let answer = lens.get("/api/v1/clusters/default/stores").await;
    let body = answer.ok();
    let ids: Vec<&str> = body["stores"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["1", "4", "5"]);
    assert_eq!(body["stores"][1]["capacity_bytes"], 1920846813725u64);
    assert_eq!(body["stores"][1]["uptime_seconds"], 611410.79588264);
    assert_eq!(body["stores"][1]["labels"]["zone"], "z2");
    assert_eq!(pd.hits("/pd/api/v1/stores"), 1);
}
