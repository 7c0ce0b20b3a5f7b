//! `tasks` with the columns it has from lesson 12 on: lesson 6's and `version`.

pub mod task {
    use ex11_upsert::prelude::{HasDueDate, TaskTable};
    use sea_orm::entity::prelude::*;
    use serde::Serialize;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
    #[sea_orm(table_name = "tasks")]
    #[serde(rename_all = "camelCase")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub user_id: Uuid,
        pub title: String,
        pub done: bool,
        pub due_date: Option<Date>,
        /// Raised by exactly 1 by every change; the `ETag` is `"v<version>"`.
        pub version: i32,
        #[serde(serialize_with = "shared::time::serialize")]
        pub created_at: DateTimeUtc,
        #[serde(serialize_with = "shared::time::serialize")]
        pub updated_at: DateTimeUtc,
    }

    impl ActiveModelBehavior for ActiveModel {}

    impl TaskTable for Entity {
        const ID: Column = Column::Id;
        const USER_ID: Column = Column::UserId;
        const DONE: Column = Column::Done;
        const CREATED_AT: Column = Column::CreatedAt;
        const UPDATED_AT: Column = Column::UpdatedAt;
    }

    impl HasDueDate for Entity {
        const DUE_DATE: Column = Column::DueDate;
    }
}
