//! Logs in with `AuthOwner` and reads the reply, using only `zenith-protocol`.

use zenith_protocol::auth::AuthOwnerRequest;
use zenith_protocol::{AuthOwnerRequestData, Direction, Message, Secret};

fn main() {
    let mut request = AuthOwnerRequest::new(AuthOwnerRequestData {
        provider: "Paritech".into(),
        client_id: "TriOptimum".into(),
        client_secret: None,
        user_name: Some("Shodan".into()),
        password: Some(Secret::from("Insect")),
        scope: None,
    });
    request.transaction_id = Some(7);
    println!("send    {}", serde_json::to_string(&request).expect("messages serialize"));
    println!("debug   {request:?}");

    let reply =
        r#"{"Controller":"Auth","Topic":"Identify","TransactionID":7,"Data":{"Result":"Success","UserID":"shodan"}}"#;
    match Message::parse_str(reply, Direction::Receive) {
        Ok(Message::IdentifyPush(identify)) => {
            println!("receive {} as {:?}", identify.data.result, identify.data.user_id)
        }
        Ok(other) => println!("receive unexpected {:?}", other.kind()),
        Err(error) => println!("receive error: {error}"),
    }
}
