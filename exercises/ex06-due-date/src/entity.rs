//! `tasks` with the columns it has from lesson 6 on: lesson 2's and `due_date`.

pub mod task {
    use ex05_unique_title::prelude::TaskTable;
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
}
