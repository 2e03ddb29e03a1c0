//! What only the in-memory store does: refuse new users past `MAX_USERS`.

use crate::helpers::{spawn_app_with_store, test_settings};
use serde_json::json;

use {{crate_name}}::StoreSettings;

#[test]
fn posting_past_max_users_is_a_json_507_and_reading_still_works() {
    let app = spawn_app_with_store(test_settings(), StoreSettings { max_users: 2 });
    for n in 1..=2 {
        let body = json!({ "name": format!("User {n}"), "email": format!("user{n}@example.com") });
        assert_eq!(
            app.post_json("/users", body.to_string().as_bytes()).status,
            201
        );
    }

    let full = app.post_json(
        "/users",
        br#"{"name":"One more","email":"more@example.com"}"#,
    );

    assert_eq!(full.status, 507);
    assert_eq!(full.json()["error"], "storage_full");
    assert!(
        full.json()["message"]
            .as_str()
            .unwrap()
            .contains("MAX_USERS")
    );
    assert_eq!(app.get("/users/2").status, 200);
    let metrics = app.metrics();
    assert_eq!(metrics["users_stored"], 2.0);
    assert_eq!(metrics["users_max"], 2.0);
}
