//! The activity calendar as a browser without JavaScript sees it: a rep's week, month and
//! day, their team's activities, never one they may not read, the way around the periods,
//! a bad date refused beside its input, and the headings in Chinese and English.

use reqwest::Method;
use serde_json::json;

use crate::helpers::TestApp;
use crate::web::{Browser, csrf};

/// A colleague who can sign in; returns their id.
async fn colleague(app: &TestApp, email: &str, name: &str) -> String {
    app.crm
        .create_user(guanxi_services::identity::NewUser {
            email: email.into(),
            name: name.into(),
            password: Some("colleague-password".into()),
            is_admin: false,
            locale: guanxi_core::Locale::ZhCn,
        })
        .await
        .unwrap()
        .id
        .to_string()
}

async fn rep_id(app: &TestApp) -> String {
    let users = guanxi_storage::system::users(app.crm.db()).await.unwrap();
    users
        .iter()
        .find(|u| u.email == "rep@example.com")
        .unwrap()
        .id
        .to_string()
}

async fn signed_in(app: &TestApp, email: &str, password: &str) -> Browser {
    let mut b = Browser::new(app);
    let (status, to, _) = b
        .post("/login", &[("email", email), ("password", password)])
        .await;
    assert_eq!((status, to.as_str()), (303, "/"), "{email} signs in");
    b
}

/// An activity created by the administrator for `owner`; returns its id.
async fn activity(app: &TestApp, owner: &str, body: serde_json::Value) -> String {
    let mut body = body;
    body["owner"] = json!(owner);
    app.create("activities", body).await["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn meeting(app: &TestApp, owner: &str, subject: &str, starts: &str, ends: &str) -> String {
    activity(
        app,
        owner,
        json!({"subject": subject, "type": "meeting", "status": "planned", "starts_at": starts, "ends_at": ends}),
    )
    .await
}

/// The part of a page from `start` up to the next `end`.
fn between<'a>(page: &'a str, start: &str, end: &str) -> &'a str {
    let at = page.find(start).unwrap_or_else(|| panic!("{start} in {page}"));
    let rest = &page[at..];
    &rest[..rest.find(end).unwrap_or(rest.len())]
}

/// One day's cell of the month grid (from its link to the day).
fn month_cell<'a>(page: &'a str, date: &str) -> &'a str {
    between(page, &format!("view=day&amp;date={date}&amp;"), "</td>")
}

#[tokio::test]
async fn my_week_shows_my_meetings_on_their_days_in_time_order_and_no_one_elses() {
    let app = TestApp::spawn().await;
    let rep = rep_id(&app).await;
    let other = colleague(&app, "wang@example.com", "王芳").await;
    let late = meeting(
        &app,
        &rep,
        "下午复盘会",
        "2026-11-24T15:00:00+08:00",
        "2026-11-24T16:00:00+08:00",
    )
    .await;
    let early = meeting(
        &app,
        &rep,
        "上午客户会议",
        "2026-11-24T09:30:00+08:00",
        "2026-11-24T10:30:00+08:00",
    )
    .await;
    meeting(
        &app,
        &rep,
        "下周的会",
        "2026-12-01T09:00:00+08:00",
        "2026-12-01T10:00:00+08:00",
    )
    .await;
    meeting(
        &app,
        &other,
        "别人的会议",
        "2026-11-24T11:00:00+08:00",
        "2026-11-24T12:00:00+08:00",
    )
    .await;
    let mut b = signed_in(&app, "rep@example.com", "rep-password").await;

    let (status, _, page) = b.get("/calendar?view=week&date=2026-11-25").await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("<h1 id=\"cal-title\">2026-11-23 – 2026-11-29</h1>"),
        "{page}"
    );
    let tuesday = between(&page, "id=\"day-2026-11-24\"", "</section>");
    let (e, l) = (
        tuesday
            .find(&format!("/o/activities/{early}"))
            .expect("the morning meeting"),
        tuesday
            .find(&format!("/o/activities/{late}"))
            .expect("the afternoon meeting"),
    );
    assert!(e < l, "in time order: {tuesday}");
    assert!(
        tuesday.contains("09:30–10:30") && tuesday.contains("会议"),
        "time and type: {tuesday}"
    );
    assert!(
        !page.contains("别人的会议"),
        "another user's activity is not on my calendar"
    );
    assert!(!page.contains("下周的会"), "next week's is not this week");
    assert!(
        between(&page, "id=\"day-2026-11-23\"", "</section>").contains("没有活动"),
        "an empty day says so"
    );
    // The calendar is linked from the header, and the new-activity link is there.
    assert!(
        page.contains("href=\"/calendar\" aria-current=\"page\""),
        "{page}"
    );
    assert!(page.contains("href=\"/o/activities/new\""));

    // The day view lists the same day's meetings in order.
    let (status, _, day) = b.get("/calendar?view=day&date=2026-11-24").await;
    assert_eq!(status, 200);
    assert!(day.contains("2026年11月24日 星期二"), "{day}");
    let (e, l) = (
        day.find(&format!("/o/activities/{early}")).unwrap(),
        day.find(&format!("/o/activities/{late}")).unwrap(),
    );
    assert!(e < l);

    // Without a session the calendar sends to sign-in.
    let (status, to, _) = Browser::new(&app).get("/calendar").await;
    assert_eq!((status, to.as_str()), (303, "/login"));
}

#[tokio::test]
async fn the_month_grid_puts_a_due_date_task_on_its_date_and_dims_other_months() {
    let app = TestApp::spawn().await;
    let rep = rep_id(&app).await;
    let task = activity(
        &app,
        &rep,
        json!({"subject": "寄送报价单", "type": "task", "status": "planned", "due_date": "2026-11-30"}),
    )
    .await;
    let trip = meeting(
        &app,
        &rep,
        "苏州出差",
        "2026-11-03T08:00:00+08:00",
        "2026-11-05T18:00:00+08:00",
    )
    .await;
    let mut b = signed_in(&app, "rep@example.com", "rep-password").await;

    let (status, _, page) = b.get("/calendar?view=month&date=2026-11-10").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("<h1 id=\"cal-title\">2026年11月</h1>"), "{page}");
    for day in [
        "星期一",
        "星期二",
        "星期三",
        "星期四",
        "星期五",
        "星期六",
        "星期日",
    ] {
        assert!(page.contains(&format!("<th scope=\"col\">{day}</th>")), "{day}");
    }
    let first_header = page.find("<th scope=\"col\">").unwrap();
    assert!(
        page[first_header..].starts_with("<th scope=\"col\">星期一"),
        "weeks start on Monday"
    );

    let cell = month_cell(&page, "2026-11-30");
    assert!(
        cell.contains(&format!("/o/activities/{task}")) && cell.contains("全天") && cell.contains("任务"),
        "the task is an all-day item on its due date: {cell}"
    );
    assert!(!month_cell(&page, "2026-11-29").contains("寄送报价单"));
    for day in ["2026-11-03", "2026-11-04", "2026-11-05"] {
        assert!(
            month_cell(&page, day).contains(&format!("/o/activities/{trip}")),
            "the trip spans {day}"
        );
    }
    assert!(!month_cell(&page, "2026-11-06").contains("苏州出差"));
    // November 2026 starts on a Sunday: the grid opens on Monday 26 October, dimmed.
    let grid = between(&page, "<tbody>", "</tbody>");
    assert!(grid.contains("date=2026-10-26") && !grid.contains("date=2026-10-25"));
    assert!(grid.contains("date=2026-12-06") && !grid.contains("date=2026-12-07"));
    let before = &page[..page.find("view=day&amp;date=2026-10-26").unwrap()];
    assert!(
        before.rsplit("<td").next().unwrap().contains("cal-out"),
        "another month's day is dimmed"
    );
    assert!(month_cell(&page, "2026-11-26").contains("aria-label=\"2026年11月26日 星期四\""));

    // On the month, the task appears beside nothing of another user's.
    let other = colleague(&app, "zhao@example.com", "赵磊").await;
    activity(
        &app,
        &other,
        json!({"subject": "别人的任务", "type": "task", "due_date": "2026-11-30"}),
    )
    .await;
    let (_, _, page) = b.get("/calendar?view=month&date=2026-11-10").await;
    assert!(!page.contains("别人的任务"));
}

#[tokio::test]
async fn my_team_shows_teammates_and_people_below_me_never_anyone_outside_nor_what_i_may_not_read() {
    let app = TestApp::spawn().await;
    let rep = rep_id(&app).await;
    let mate = colleague(&app, "mate@example.com", "周杰").await;
    let outsider = colleague(&app, "outsider@example.com", "外人").await;
    let junior = colleague(&app, "junior@example.com", "小陈").await;
    let r = app
        .post(
            "/api/v1/admin/teams",
            json!({"name": "华东销售组", "members": [rep, mate]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    // The rep leads a role with the junior's role below it.
    let lead = app
        .post("/api/v1/admin/roles", json!({"name": "主管"}))
        .await
        .id();
    let staff = app
        .post("/api/v1/admin/roles", json!({"name": "专员", "parent": lead}))
        .await
        .id();
    for (user, role) in [(&rep, &lead), (&junior, &staff)] {
        let r = app
            .request(
                Method::PATCH,
                &format!("/api/v1/admin/users/{user}"),
                Some(json!({ "role": role })),
                &[],
            )
            .await;
        assert_eq!(r.status, 204, "{}", r.body);
    }
    let mine = meeting(
        &app,
        &rep,
        "我的拜访",
        "2026-11-24T09:00:00+08:00",
        "2026-11-24T10:00:00+08:00",
    )
    .await;
    let theirs = meeting(
        &app,
        &mate,
        "队友的会议",
        "2026-11-25T14:00:00+08:00",
        "2026-11-25T15:00:00+08:00",
    )
    .await;
    let juniors = meeting(
        &app,
        &junior,
        "下属的电话",
        "2026-11-26T10:00:00+08:00",
        "2026-11-26T10:30:00+08:00",
    )
    .await;
    meeting(
        &app,
        &outsider,
        "外人的会议",
        "2026-11-25T16:00:00+08:00",
        "2026-11-25T17:00:00+08:00",
    )
    .await;

    let mut b = signed_in(&app, "rep@example.com", "rep-password").await;
    let (status, _, page) = b.get("/calendar?view=week&date=2026-11-23&who=team").await;
    assert_eq!(status, 200, "{page}");
    for id in [&mine, &theirs, &juniors] {
        assert!(
            page.contains(&format!("/o/activities/{id}")),
            "{id} on the team calendar"
        );
    }
    assert!(
        !page.contains("外人的会议"),
        "someone outside my team stays off it"
    );
    let wednesday = between(&page, "id=\"day-2026-11-25\"", "</section>");
    assert!(
        wednesday.contains("周杰"),
        "the owner is named on a team calendar: {wednesday}"
    );
    assert!(page.contains("aria-current=\"page\">我的团队"), "{page}");

    // My own calendar stays mine.
    let (_, _, page) = b.get("/calendar?view=week&date=2026-11-23&who=mine").await;
    assert!(page.contains(&format!("/o/activities/{mine}")));
    assert!(!page.contains("队友的会议") && !page.contains("下属的电话"));

    // Activities made private: the teammate's is out of the rep's reach, so off the
    // calendar too; the junior's stays (a role above reads what the roles below own).
    let r = app
        .request(
            Method::PUT,
            "/api/v1/admin/access/activities",
            Some(json!({"sharing": "private"})),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app
        .request_as(
            &app.user_token,
            Method::GET,
            &format!("/api/v1/activities/{theirs}"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 404, "the rep cannot read it through the API either");
    let (status, _, page) = b.get("/calendar?view=week&date=2026-11-23&who=team").await;
    assert_eq!(status, 200);
    assert!(
        !page.contains("队友的会议"),
        "an activity the rep may not read is not shown"
    );
    assert!(page.contains(&format!("/o/activities/{mine}")));
    assert!(page.contains(&format!("/o/activities/{juniors}")));
    // The teammate still sees their own.
    let mut m = signed_in(&app, "mate@example.com", "colleague-password").await;
    let (_, _, page) = m.get("/calendar?view=week&date=2026-11-23").await;
    assert!(page.contains(&format!("/o/activities/{theirs}")) && !page.contains("我的拜访"));
}

#[tokio::test]
async fn previous_and_next_move_by_the_period_and_bad_parameters_are_named_beside_their_control() {
    let app = TestApp::spawn().await;
    let mut b = signed_in(&app, "rep@example.com", "rep-password").await;
    let links = |page: &str| -> (String, String) {
        let href = |rel: &str| {
            let before = &page[..page.find(&format!("rel=\"{rel}\"")).unwrap()];
            let h = before.rsplit("href=\"").next().unwrap();
            h.split('"').next().unwrap().replace("&amp;", "&")
        };
        (href("prev"), href("next"))
    };
    for (query, prev, next) in [
        (
            "view=week&date=2026-11-25",
            "/calendar?view=week&date=2026-11-16&who=mine",
            "/calendar?view=week&date=2026-11-30&who=mine",
        ),
        (
            "view=month&date=2026-03-31&who=team",
            "/calendar?view=month&date=2026-02-01&who=team",
            "/calendar?view=month&date=2026-04-01&who=team",
        ),
        (
            "view=day&date=2028-03-01",
            "/calendar?view=day&date=2028-02-29&who=mine",
            "/calendar?view=day&date=2028-03-02&who=mine",
        ),
        (
            "view=month&date=2026-12-15",
            "/calendar?view=month&date=2026-11-01&who=mine",
            "/calendar?view=month&date=2027-01-01&who=mine",
        ),
    ] {
        let (status, _, page) = b.get(&format!("/calendar?{query}")).await;
        assert_eq!(status, 200, "{query}: {page}");
        assert_eq!(links(&page), (prev.to_string(), next.to_string()), "{query}");
    }
    // The default is this week, with its Monday-to-Sunday heading.
    let (status, _, page) = b.get("/calendar").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("aria-current=\"page\">周</a>"),
        "week by default: {page}"
    );
    assert!(page.contains("aria-current=\"page\">我的</a>"), "mine by default");
    assert!(page.contains("aria-current=\"date\""), "today is marked");

    let (status, _, page) = b.get("/calendar?view=month&date=2026-13-40").await;
    assert_eq!(status, 422);
    assert!(
        page.contains("id=\"date-error\" role=\"alert\">请按 YYYY-MM-DD 格式输入日期"),
        "the message beside the date: {page}"
    );
    assert!(page.contains("value=\"2026-13-40\"") && page.contains("aria-invalid=\"true\""));
    assert!(page.contains("aria-describedby=\"date-error\""));
    assert!(
        page.contains("<table class=\"cal-month\""),
        "still the calendar (this month)"
    );

    let (status, _, page) = b.get("/calendar?view=year&date=2026-11-23").await;
    assert_eq!(status, 422);
    assert!(
        page.contains("id=\"view-error\" role=\"alert\">视图只能是日、周或月"),
        "{page}"
    );
    assert!(
        page.contains("2026-11-23 – 2026-11-29"),
        "the week is shown instead"
    );

    let (status, _, page) = b.get("/calendar?who=everyone").await;
    assert_eq!(status, 422);
    assert!(page.contains("id=\"who-error\""));
}

#[tokio::test]
async fn headings_follow_the_language_chinese_and_english() {
    let app = TestApp::spawn().await;
    let mut b = signed_in(&app, "rep@example.com", "rep-password").await;
    let (_, _, page) = b.get("/calendar?view=month&date=2026-11-23").await;
    assert!(page.contains("<h1 id=\"cal-title\">2026年11月</h1>") && page.contains(">日历</a>"));
    assert!(
        page.contains("<title>日历 · 2026年11月 · 关系 Guanxi</title>"),
        "{page}"
    );

    let (status, _, _) = b.get("/lang/en?back=/calendar").await;
    assert_eq!(status, 303);
    let (_, _, page) = b.get("/calendar?view=month&date=2026-11-23").await;
    assert!(page.contains("<h1 id=\"cal-title\">November 2026</h1>"), "{page}");
    assert!(page.contains("<th scope=\"col\">Monday</th>") && page.contains(">Calendar</a>"));
    assert!(page.contains("Previous month") && page.contains("New activity"));
    let (_, _, page) = b.get("/calendar?view=day&date=2026-11-23").await;
    assert!(
        page.contains("<h1 id=\"cal-title\">Monday, 23 November 2026</h1>"),
        "{page}"
    );
    assert!(page.contains("No activities."));

    let (_, _, _) = b.get("/lang/zh-TW?back=/calendar").await;
    let (_, _, page) = b.get("/calendar?view=month&date=2026-11-23").await;
    assert!(page.contains("<h1 id=\"cal-title\">2026年11月</h1>") && page.contains(">行事曆</a>"));
}

#[tokio::test]
async fn an_invited_colleague_replies_on_the_activity_page_and_has_it_in_their_week() {
    let app = TestApp::spawn().await;
    let (lina, _) = app.person("lina", None).await;
    let id = activity(
        &app,
        &rep_id(&app).await,
        serde_json::json!({"subject": "联合拜访华通", "type": "visit", "status": "planned",
                           "starts_at": "2026-11-24T10:00:00+08:00", "ends_at": "2026-11-24T11:30:00+08:00"}),
    )
    .await;
    let page_path = format!("/o/activities/{id}");
    let mut admin = signed_in(&app, "admin@example.com", "admin-password").await;
    let (status, _, page) = admin.get(&page_path).await;
    assert_eq!(status, 200);
    assert!(page.contains("参与人"));
    let token = csrf(&page);
    // Nobody chosen: said beside the choice.
    let (status, _, page) = admin
        .post(
            &format!("{page_path}/attendees"),
            &[("csrf", &token), ("action", "add")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("id=\"attendee-error\""), "{page}");
    let (status, _, _) = admin
        .post(
            &format!("{page_path}/attendees"),
            &[("csrf", &token), ("action", "add"), ("user", &lina)],
        )
        .await;
    assert_eq!(status, 303);

    let mut b = signed_in(&app, "lina@example.org", "secret-password").await;
    let (_, _, page) = b.get(&page_path).await;
    assert!(page.contains("您的答复"), "{page}");
    let token = csrf(&page);
    let attendee = app
        .list_all("activity_attendees", &format!("filter=user%20eq%20'{lina}'"))
        .await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, _, _) = b
        .post(
            &format!("{page_path}/attendees"),
            &[
                ("csrf", &token),
                ("action", "respond"),
                ("attendee", &attendee),
                ("response", "accepted"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (_, _, page) = b.get(&page_path).await;
    assert!(page.contains("lina · 接受"), "{page}");
    let (_, _, week) = b.get("/calendar?view=week&date=2026-11-24").await;
    assert!(
        week.contains("联合拜访华通"),
        "on the invited colleague's calendar"
    );
}

#[tokio::test]
async fn an_activity_about_to_start_reminds_its_owner_and_attendees_once() {
    let app = TestApp::spawn().await;
    let (lina, lina_token) = app.person("lina", None).await;
    let (_, declined_token) = app.person("wang", None).await;
    let now = chrono::Utc::now();
    let at = |minutes: i64| (now + chrono::Duration::minutes(minutes)).to_rfc3339();
    let soon = app
        .create(
            "activities",
            json!({"subject": "客户电话会", "type": "call", "status": "planned",
                   "starts_at": at(10), "reminder_minutes": 15}),
        )
        .await;
    // Not yet: its reminder is 5 minutes before, 10 minutes away.
    app.create(
        "activities",
        json!({"subject": "稍后拜访", "type": "visit", "status": "planned",
               "starts_at": at(10), "reminder_minutes": 5}),
    )
    .await;
    // Cancelled: no reminder.
    app.create(
        "activities",
        json!({"subject": "已取消会议", "type": "meeting", "status": "cancelled",
               "starts_at": at(10), "reminder_minutes": 30}),
    )
    .await;
    let users = app.get("/api/v1/admin/users").await.body;
    let id_of = |email: &str| {
        users["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["email"] == email)
            .unwrap()["id"]
            .clone()
    };
    for (user, response) in [(json!(lina), "accepted"), (id_of("wang@example.org"), "declined")] {
        let r = app
            .post(
                "/api/v1/activity_attendees",
                json!({"activity": soon["id"], "user": user, "response": response}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    // (The server's own sweep may have been first; either way each goes out once.)
    assert!(app.crm.send_due_reminders().await.unwrap() <= 1);
    assert_eq!(app.crm.send_due_reminders().await.unwrap(), 0, "once");
    let texts = |token: String| {
        let app = &app;
        async move {
            let r = app
                .request_as(&token, Method::GET, "/api/v1/me/notifications", None, &[])
                .await;
            r.body["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["text"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    let mine = texts(app.token.clone()).await;
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert!(
        mine[0].contains("客户电话会") && mine[0].contains("分钟后开始"),
        "{mine:?}"
    );
    assert_eq!(texts(lina_token).await.len(), 1, "the attending colleague");
    assert!(texts(declined_token).await.is_empty(), "not who declined");
}
