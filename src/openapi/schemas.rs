//! What the component schemas say beyond what utoipa derives: that every field is sent, and
//! the descriptions of nullable references where tools read them.

use utoipa::Modify;
use utoipa::openapi::schema::{ArrayItems, Schema};
use utoipa::openapi::{OpenApi, RefOr};

/// Every property of every component schema is `required`.
///
/// The API sends every field of every answer, `null` when it has no value, and never omits one
/// (the contract's "absent data"; no model type skips a field when serializing). utoipa derives
/// `Option<T>` fields as optional, which a generated client reads as "may be missing"
/// (`capacity_bytes?: number | null`): a missing `next_cursor` would then silently end a walk.
/// `required` is rebuilt in property order.
pub(super) struct EveryPropertyRequired;

impl Modify for EveryPropertyRequired {
    fn modify(&self, openapi: &mut OpenApi) {
        for schema in component_schemas(openapi) {
            visit(schema, &mut |schema| {
                if let Schema::Object(object) = schema {
                    object.required = object.properties.keys().cloned().collect();
                }
            });
        }
    }
}

/// The description of a nullable reference, on the property itself.
///
/// utoipa writes an `Option<T>` field of a schema type as `oneOf: [{$ref, description}, {type:
/// null}]`, the field's description beside the `$ref` inside a branch, where documentation tools
/// and generators do not look for it. It moves to the `oneOf`, i.e. the property.
pub(super) struct DescribedNullableReferences;

impl Modify for DescribedNullableReferences {
    fn modify(&self, openapi: &mut OpenApi) {
        for schema in component_schemas(openapi) {
            visit(schema, &mut |schema| {
                let Schema::Object(object) = schema else {
                    return;
                };
                for property in object.properties.values_mut() {
                    let RefOr::T(Schema::OneOf(one_of)) = property else {
                        continue;
                    };
                    if one_of.description.is_some() {
                        continue;
                    }
                    for item in &mut one_of.items {
                        if let RefOr::Ref(reference) = item
                            && !reference.description.is_empty()
                        {
                            one_of.description = Some(std::mem::take(&mut reference.description));
                            break;
                        }
                    }
                }
            });
        }
    }
}

fn component_schemas(openapi: &mut OpenApi) -> impl Iterator<Item = &mut Schema> {
    openapi
        .components
        .iter_mut()
        .flat_map(|components| components.schemas.values_mut())
        .filter_map(|schema| match schema {
            RefOr::T(schema) => Some(schema),
            RefOr::Ref(_) => None,
        })
}

/// Calls `f` on `schema` and on every schema written inline within it (properties, items,
/// `allOf`/`oneOf`/`anyOf` parts); references are not followed.
fn visit(schema: &mut Schema, f: &mut impl FnMut(&mut Schema)) {
    f(schema);
    match schema {
        Schema::Object(object) => {
            for property in object.properties.values_mut() {
                if let RefOr::T(inner) = property {
                    visit(inner, f);
                }
            }
        }
        Schema::Array(array) => {
            if let ArrayItems::RefOrSchema(items) = &mut array.items
                && let RefOr::T(inner) = items.as_mut()
            {
                visit(inner, f);
            }
        }
        Schema::AllOf(all_of) => {
            for item in &mut all_of.items {
                if let RefOr::T(inner) = item {
                    visit(inner, f);
                }
            }
        }
        Schema::OneOf(one_of) => {
            for item in &mut one_of.items {
                if let RefOr::T(inner) = item {
                    visit(inner, f);
                }
            }
        }
        Schema::AnyOf(any_of) => {
            for item in &mut any_of.items {
                if let RefOr::T(inner) = item {
                    visit(inner, f);
                }
            }
        }
        _ => {}
    }
}
