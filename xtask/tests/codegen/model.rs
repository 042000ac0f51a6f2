//! The model itself: types referred to by id, and the facts it works out for the emitters.

use xtask::model::{Direction, Model, Shape, TypeId, TypeKind};
use xtask::schema::SchemaSet;

fn project_model() -> Model {
    Model::build(&SchemaSet::load(&xtask::project_root().join("schemas")).unwrap()).unwrap_or_else(|e| panic!("{e}"))
}

/// Every id a shape holds, nested ones included.
fn ids(shape: &Shape, out: &mut Vec<TypeId>) {
    match shape {
        Shape::Named(id) | Shape::Flags { codes: id, .. } => out.push(*id),
        Shape::Array(inner) | Shape::Nullable(inner) | Shape::Map(inner) => ids(inner, out),
        Shape::Multi { items: Some(items), .. } => ids(items, out),
        _ => {}
    }
}

#[test]
fn ids_and_names_lead_to_the_same_types() {
    let model = project_model();
    for (index, ty) in model.types.iter().enumerate() {
        let found = model.type_named(&ty.name).unwrap_or_else(|| panic!("`{}` is not found by name", ty.name));
        assert!(std::ptr::eq(found, &model[TypeId(index)]), "`{}`", ty.name);
        let TypeKind::Struct { fields, .. } = &ty.kind else { continue };
        for field in fields {
            let mut referred = Vec::new();
            ids(&field.shape, &mut referred);
            assert!(referred.iter().all(|id| id.0 < model.types.len()), "`{}.{}`", ty.name, field.wire);
        }
    }
    for message in &model.messages {
        assert_eq!(model[message.ty].name, message.name);
    }
    assert!(model.type_named("NoSuchType").is_none());
}

#[test]
fn a_type_may_refer_to_itself_and_comes_after_the_types_it_holds() {
    let dir = std::env::temp_dir().join(format!("xtask-model-test-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("tree")).unwrap();
    let schema = r##"{"$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://zenith-protocol.invalid/schemas/tree/Node.json", "title": "Node", "description": "d",
        "type": "object", "properties": {"Children": {"type": "array", "items": {"$ref": "#"}},
        "Leaf": {"type": "object", "properties": {"Value": {"type": "integer"}}}}}"##;
    std::fs::write(dir.join("tree/Node.json"), schema).unwrap();
    let result = SchemaSet::load(&dir).and_then(|set| Model::build(&set));
    std::fs::remove_dir_all(&dir).unwrap();
    let model = result.unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<&str> = model.types.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["NodeLeaf", "Node"]);
    let TypeKind::Struct { fields, .. } = &model.types[1].kind else { panic!("Node is an object") };
    assert_eq!(fields[0].shape, Shape::Array(Box::new(Shape::Named(TypeId(1)))));
    assert_eq!(fields[1].shape, Shape::Named(TypeId(0)));
}

#[test]
fn change_rules_know_the_property_numbers_they_read() {
    let model = project_model();
    let ty = model.type_named("SymbolChange").expect("the schemas have SymbolChange");
    let TypeKind::Struct { fields, changes: Some(changes), .. } = &ty.kind else { panic!("a change record") };
    assert_eq!(changes.reads, [["Symbol", "Code"], ["Symbol", "Market"]]);
    assert_eq!(changes.read_at.len(), 2);
    for ((head, nested), path) in changes.read_at.iter().zip(&changes.reads) {
        assert_eq!(fields[*head].wire, path[0]);
        let Shape::Named(id) = &fields[*head].shape else { panic!("`Symbol` is an object") };
        let TypeKind::Struct { fields: inner, .. } = &model[*id].kind else { panic!("`Symbol` is an object") };
        assert_eq!(inner[nested.expect("two levels")].wire, path[1]);
    }
}

#[test]
fn replies_that_arrive_on_other_topics_are_worked_out() {
    let model = project_model();
    let found = model
        .replies_elsewhere
        .iter()
        .find(|r| r.controller == "Channel" && r.topic == "QueryChannel" && r.action == "Publish")
        .expect("a QueryMethod request may be answered on QueryChannel");
    assert_eq!(found.direction, Direction::Receive);
    let names: Vec<&str> = found.messages.iter().map(|i| model.messages[*i].name.as_str()).collect();
    assert_eq!(names, ["QueryMethodReply"]);
    assert!(model.replies_elsewhere.iter().all(|r| !r.messages.is_empty() && r.direction == Direction::Receive));
}

#[test]
fn each_controller_lists_its_topics_once_per_message() {
    let model = project_model();
    let (_, topics) = model.controller_topics.iter().find(|(c, _)| c == "Channel").expect("Channel has messages");
    let with_topic = model
        .messages
        .iter()
        .filter(|m| m.controller.as_deref() == Some("Channel"))
        .filter_map(|m| m.topic.clone())
        .collect::<Vec<String>>();
    assert_eq!(topics, &with_topic);
    assert!(topics.iter().any(|t| t == "QueryChannel"));
}

#[test]
fn each_topic_with_arguments_names_the_message_stating_their_forms() {
    let model = project_model();
    let (_, _, index) = model
        .topic_arguments
        .iter()
        .find(|(c, t, _)| c == "Market" && t == "Depth")
        .expect("Depth takes a code and a market");
    let message = &model.messages[*index];
    let forms: Vec<&str> =
        message.arguments.as_ref().expect("it states them").forms.iter().map(|f| f.text.as_str()).collect();
    assert_eq!(forms, ["{Code}.{Market}"]);
    for (controller, topic, index) in &model.topic_arguments {
        let first = model.messages.iter().position(|m| {
            m.controller.as_ref() == Some(controller) && m.topic.as_ref() == Some(topic) && m.arguments.is_some()
        });
        assert_eq!(first, Some(*index), "{controller} {topic}");
    }
}
