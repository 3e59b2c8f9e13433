//! Deterministic, seedable generator of believable demo data for a Chinese / international
//! B2B company: accounts, contacts, leads, opportunities, products, activities and cases.
//!
//! Every record is a function of `(seed, kind, i)` and the arguments passed in: the random
//! stream is re-seeded per record, so record `i` is the same whatever was generated before it
//! (which lets benchmarks generate in parallel or skip ahead). Generation is cheap: apart from
//! the JSON map itself, only the strings that end up in it are allocated (strings are built
//! with `cat`/`num` rather than `format!`); most of the remaining cost is the `BTreeMap` of
//! the JSON map itself.
//!
//! Records only know the ids of the records they refer to, so names are not cross-checked:
//! contacts of one account share a mail domain and city derived from the account id, but that
//! domain is not the account's own website.
//!
//! Every value produced passes `guanxi_core::values::parse_input` for its standard field
//! (phones are valid CN numbers or valid international ones, picklists use option values).

use std::borrow::Cow;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, TimeDelta, Timelike, Utc, Weekday};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value as Json};
use uuid::Uuid;

type Record = Map<String, Json>;

// ---------------------------------------------------------------------------------------------
// Reference data
// ---------------------------------------------------------------------------------------------

/// A real city: province, region picklist value, telephone area code, length of local
/// landline numbers there (as the numbering plan validates them), postal code, districts.
struct City {
    name: &'static str,
    province: &'static str,
    region: &'static str,
    area: &'static str,
    local_len: u8,
    postal: u32,
    districts: &'static [&'static str],
    weight: u32,
}

#[allow(clippy::too_many_arguments)]
const fn city(
    name: &'static str,
    province: &'static str,
    region: &'static str,
    area: &'static str,
    local_len: u8,
    postal: u32,
    districts: &'static [&'static str],
    weight: u32,
) -> City {
    City {
        name,
        province,
        region,
        area,
        local_len,
        postal,
        districts,
        weight,
    }
}

#[rustfmt::skip]
const CITIES: &[City] = &[
    // East China
    city("上海", "上海", "east", "021", 8, 200000, &["浦东新区", "闵行区", "嘉定区", "松江区", "徐汇区"], 60),
    city("南京", "江苏", "east", "025", 8, 210000, &["江宁区", "鼓楼区", "栖霞区", "雨花台区"], 20),
    city("苏州", "江苏", "east", "0512", 8, 215000, &["工业园区", "吴中区", "相城区", "虎丘区", "昆山市"], 40),
    city("无锡", "江苏", "east", "0510", 8, 214000, &["新吴区", "滨湖区", "锡山区", "江阴市"], 20),
    city("常州", "江苏", "east", "0519", 8, 213000, &["武进区", "新北区", "天宁区"], 14),
    city("南通", "江苏", "east", "0513", 8, 226000, &["崇川区", "通州区", "海门区"], 10),
    city("杭州", "浙江", "east", "0571", 8, 310000, &["余杭区", "滨江区", "萧山区", "西湖区"], 35),
    city("宁波", "浙江", "east", "0574", 8, 315000, &["鄞州区", "北仑区", "海曙区", "慈溪市"], 24),
    city("温州", "浙江", "east", "0577", 8, 325000, &["鹿城区", "龙湾区", "瓯海区", "乐清市"], 12),
    city("金华", "浙江", "east", "0579", 8, 321000, &["义乌市", "婺城区", "永康市"], 10),
    city("合肥", "安徽", "east", "0551", 8, 230000, &["蜀山区", "包河区", "庐阳区"], 14),
    city("芜湖", "安徽", "east", "0553", 7, 241000, &["鸠江区", "弋江区"], 5),
    city("福州", "福建", "east", "0591", 8, 350000, &["鼓楼区", "仓山区", "晋安区"], 9),
    city("厦门", "福建", "east", "0592", 7, 361000, &["思明区", "湖里区", "集美区"], 10),
    city("泉州", "福建", "east", "0595", 8, 362000, &["丰泽区", "晋江市", "石狮市"], 8),
    city("南昌", "江西", "east", "0791", 8, 330000, &["红谷滩区", "青山湖区", "西湖区"], 7),
    city("济南", "山东", "east", "0531", 8, 250000, &["历下区", "槐荫区", "章丘区"], 12),
    city("青岛", "山东", "east", "0532", 8, 266000, &["黄岛区", "城阳区", "市南区", "即墨区"], 16),
    city("烟台", "山东", "east", "0535", 7, 264000, &["芝罘区", "莱山区", "福山区"], 6),
    // North China
    city("北京", "北京", "north", "010", 8, 100000, &["朝阳区", "海淀区", "大兴区", "顺义区", "丰台区"], 50),
    city("天津", "天津", "north", "022", 8, 300000, &["滨海新区", "西青区", "南开区", "东丽区"], 18),
    city("石家庄", "河北", "north", "0311", 8, 50000, &["长安区", "裕华区", "桥西区"], 8),
    city("太原", "山西", "north", "0351", 7, 30000, &["小店区", "迎泽区", "万柏林区"], 5),
    city("呼和浩特", "内蒙古", "north", "0471", 7, 10000, &["赛罕区", "新城区"], 3),
    // South China
    city("广州", "广东", "south", "020", 8, 510000, &["天河区", "番禺区", "黄埔区", "白云区"], 40),
    city("深圳", "广东", "south", "0755", 8, 518000, &["南山区", "宝安区", "龙岗区", "福田区", "龙华区"], 45),
    city("东莞", "广东", "south", "0769", 8, 523000, &["长安镇", "虎门镇", "塘厦镇", "松山湖"], 18),
    city("佛山", "广东", "south", "0757", 8, 528000, &["顺德区", "南海区", "禅城区"], 15),
    city("南宁", "广西", "south", "0771", 7, 530000, &["青秀区", "西乡塘区", "江南区"], 5),
    city("海口", "海南", "south", "0898", 8, 570000, &["龙华区", "美兰区"], 3),
    // Central China
    city("郑州", "河南", "central", "0371", 8, 450000, &["金水区", "中原区", "管城回族区"], 12),
    city("武汉", "湖北", "central", "027", 8, 430000, &["洪山区", "江汉区", "东西湖区", "蔡甸区"], 18),
    city("长沙", "湖南", "central", "0731", 8, 410000, &["岳麓区", "雨花区", "长沙县"], 12),
    // Southwest China
    city("重庆", "重庆", "southwest", "023", 8, 400000, &["渝北区", "九龙坡区", "江北区", "两江新区"], 16),
    city("成都", "四川", "southwest", "028", 8, 610000, &["武侯区", "锦江区", "双流区", "郫都区"], 20),
    city("贵阳", "贵州", "southwest", "0851", 8, 550000, &["观山湖区", "南明区"], 4),
    city("昆明", "云南", "southwest", "0871", 8, 650000, &["五华区", "官渡区", "呈贡区"], 5),
    city("拉萨", "西藏", "southwest", "0891", 7, 850000, &["城关区", "堆龙德庆区"], 1),
    // Northwest China
    city("西安", "陕西", "northwest", "029", 8, 710000, &["雁塔区", "未央区", "长安区"], 14),
    city("兰州", "甘肃", "northwest", "0931", 7, 730000, &["城关区", "七里河区"], 3),
    city("西宁", "青海", "northwest", "0971", 7, 810000, &["城西区", "城东区"], 1),
    city("银川", "宁夏", "northwest", "0951", 7, 750000, &["金凤区", "兴庆区"], 2),
    city("乌鲁木齐", "新疆", "northwest", "0991", 7, 830000, &["天山区", "沙依巴克区"], 2),
    // Northeast China
    city("沈阳", "辽宁", "northeast", "024", 8, 110000, &["浑南区", "铁西区", "和平区"], 9),
    city("大连", "辽宁", "northeast", "0411", 8, 116000, &["甘井子区", "金州区", "中山区"], 8),
    city("长春", "吉林", "northeast", "0431", 8, 130000, &["朝阳区", "绿园区", "南关区"], 5),
    city("哈尔滨", "黑龙江", "northeast", "0451", 8, 150000, &["南岗区", "道里区", "松北区"], 5),
];

/// Indexes into `CITIES` of the foreign-trade hubs where English-named trading companies sit.
const TRADE_HUBS: &[usize] = &[0, 7, 9, 13, 17, 24, 25];

#[rustfmt::skip]
const STREETS: &[&str] = &[
    "星湖街", "金鸡湖大道", "科技路", "创业大道", "长江路", "黄河路", "人民路", "建设路", "解放路", "中山路", "和平路", "新华路", "工业大道", "高新大道",
    "学府路", "滨江大道", "兴业路", "发展大道", "纬二路", "经三路", "环城北路", "迎宾大道", "振兴路", "复兴路", "东方路", "锦绣路", "创新路", "园区路",
    "富强路", "腾飞大道",
];

/// Brand syllables with their pinyin (for web and mail domains).
#[rustfmt::skip]
const BRAND: &[(&str, &str)] = &[
    ("华", "hua"), ("通", "tong"), ("瑞", "rui"), ("恒", "heng"), ("达", "da"), ("信", "xin"), ("博", "bo"),
    ("创", "chuang"), ("科", "ke"), ("永", "yong"), ("盛", "sheng"), ("鑫", "xin"), ("宏", "hong"), ("远", "yuan"),
    ("嘉", "jia"), ("泰", "tai"), ("润", "run"), ("德", "de"), ("兴", "xing"), ("海", "hai"), ("金", "jin"),
    ("天", "tian"), ("中", "zhong"), ("诚", "cheng"), ("联", "lian"), ("新", "xin"), ("佳", "jia"), ("汇", "hui"),
    ("捷", "jie"), ("锐", "rui"), ("腾", "teng"), ("凯", "kai"), ("晨", "chen"), ("光", "guang"), ("明", "ming"),
    ("安", "an"), ("正", "zheng"), ("益", "yi"), ("源", "yuan"), ("丰", "feng"), ("昌", "chang"), ("美", "mei"),
    ("立", "li"), ("东", "dong"), ("方", "fang"), ("星", "xing"), ("宇", "yu"), ("航", "hang"), ("卓", "zhuo"),
    ("越", "yue"), ("迈", "mai"), ("拓", "tuo"), ("睿", "rui"), ("智", "zhi"), ("云", "yun"), ("峰", "feng"),
    ("奥", "ao"), ("力", "li"), ("亿", "yi"), ("万", "wan"),
];

/// Industry words of a Chinese company name: word, two-character short form, domain slug,
/// industry picklist value.
const TRADES: &[(&str, &str, &str, &str)] = &[
    ("精密机械", "精密", "jm", "manufacturing"),
    ("五金制品", "五金", "wj", "manufacturing"),
    ("塑胶制品", "塑胶", "sj", "manufacturing"),
    ("模具", "模具", "mj", "manufacturing"),
    ("包装材料", "包装", "bz", "manufacturing"),
    ("新材料", "材料", "xcl", "manufacturing"),
    ("汽车零部件", "汽配", "auto", "manufacturing"),
    ("智能装备", "装备", "zb", "equipment"),
    ("自动化设备", "自动化", "auto", "equipment"),
    ("机电设备", "机电", "jd", "equipment"),
    ("数控机床", "数控", "cnc", "equipment"),
    ("流体设备", "流体", "lt", "equipment"),
    ("电子科技", "电子", "dz", "electronics"),
    ("光电", "光电", "gd", "electronics"),
    ("半导体", "半导体", "semi", "electronics"),
    ("电子元器件", "电子", "ec", "electronics"),
    ("医疗器械", "医疗", "med", "medical_devices"),
    ("生物医疗", "生物", "bio", "medical_devices"),
    ("工业品供应链", "供应链", "scm", "distribution"),
    ("商贸", "商贸", "sm", "distribution"),
    ("物资", "物资", "wz", "distribution"),
    ("连锁商业", "商业", "retail", "retail"),
    ("百货", "百货", "bh", "retail"),
    ("进出口", "进出口", "imex", "foreign_trade"),
    ("国际贸易", "国贸", "trade", "foreign_trade"),
    ("企业管理咨询", "咨询", "consult", "professional_services"),
    ("人力资源服务", "人力", "hr", "professional_services"),
    ("教育科技", "教育", "edu", "training"),
    ("职业培训", "培训", "px", "training"),
    ("融资租赁", "租赁", "leasing", "finance"),
    ("商业保理", "保理", "fin", "finance"),
    ("信息技术", "信息", "it", "it_services"),
    ("软件", "软件", "soft", "it_services"),
    ("网络科技", "网络", "net", "it_services"),
    ("数据科技", "数据", "data", "it_services"),
    ("文化传媒", "传媒", "media", "agency"),
    ("广告", "广告", "ad", "agency"),
    ("实业", "实业", "sy", "other"),
    ("环保科技", "环保", "hb", "other"),
    ("能源科技", "能源", "energy", "other"),
];

const LEGAL_SUFFIXES: &[(&str, u32)] = &[
    ("有限公司", 70),
    ("股份有限公司", 18),
    ("集团有限公司", 7),
    ("有限责任公司", 5),
];

const TLDS: &[&str] = &["com", "com.cn", "cn", "net"];

/// English company names: first word and its domain slug.
#[rustfmt::skip]
const EN_FIRST: &[(&str, &str)] = &[
    ("Evergreen", "evergreen"), ("Pacific", "pacific"), ("Golden Bridge", "goldenbridge"),
    ("Sunrise", "sunrise"), ("Oriental", "oriental"), ("Silk Road", "silkroad"), ("Harbor", "harbor"),
    ("Blue Ocean", "blueocean"), ("Summit", "summit"), ("Everbright", "everbright"),
    ("Grand Ocean", "grandocean"), ("Jade", "jade"), ("Red Star", "redstar"), ("Northstar", "northstar"),
    ("Great Wall", "greatwall"), ("Eastwind", "eastwind"), ("Crystal", "crystal"), ("Landmark", "landmark"),
    ("Unity", "unity"), ("Prosper", "prosper"), ("Lotus", "lotus"), ("Phoenix", "phoenix"),
];

/// English company names: second word, domain slug, industry picklist value.
const EN_SECOND: &[(&str, &str, &str)] = &[
    ("Trading", "trading", "foreign_trade"),
    ("Import & Export", "imex", "foreign_trade"),
    ("International", "intl", "foreign_trade"),
    ("Global Sourcing", "sourcing", "foreign_trade"),
    ("Industrial", "industrial", "manufacturing"),
    ("Technology", "tech", "it_services"),
    ("Supply Chain", "supply", "distribution"),
    ("Machinery", "machinery", "equipment"),
    ("Electronics", "electronics", "electronics"),
    ("Medical", "medical", "medical_devices"),
];

/// Overseas places: country, city, postal code, legal suffix, index into `foreign_phone`.
const OVERSEAS: &[(&str, &str, &str, &str, usize)] = &[
    ("新加坡", "新加坡", "048623", "Pte. Ltd.", 0),
    ("德国", "汉堡", "20457", "GmbH", 1),
    ("美国", "洛杉矶", "90017", "Inc.", 2),
    ("日本", "大阪", "530-0001", "Co., Ltd.", 3),
    ("越南", "胡志明市", "700000", "Co., Ltd.", 4),
    ("阿联酋", "迪拜", "00000", "FZE", 5),
    ("马来西亚", "吉隆坡", "50450", "Sdn. Bhd.", 6),
];

const OVERSEAS_STREETS: &[&str] = &[
    "Raffles Place",
    "Große Elbstraße",
    "S Grand Ave",
    "Umeda",
    "Nguyen Hue Blvd",
    "Jebel Ali Free Zone",
    "Jalan Sultan Ismail",
];

const ACCOUNT_TYPES: &[(&str, u32)] = &[
    ("customer", 45),
    ("prospect", 35),
    ("distributor", 8),
    ("partner", 6),
    ("competitor", 3),
    ("other", 3),
];

const TIERS: &[(&str, u32)] = &[("strategic", 4), ("key", 14), ("standard", 50), ("small", 32)];

const SOURCES: &[(&str, u32)] = &[
    ("referral", 25),
    ("website", 20),
    ("trade_show", 18),
    ("cold_call", 12),
    ("partner", 10),
    ("advertising", 6),
    ("social_media", 6),
    ("other", 3),
];

const ACCOUNT_TAGS: &[&str] = &[
    "高新技术企业",
    "专精特新",
    "上市公司",
    "出口型",
    "老客户",
    "重点跟进",
    "VIP",
    "国企",
    "外资",
    "年度框架协议",
    "付款及时",
    "需关注回款",
];

// People ---------------------------------------------------------------------------------------

/// Surnames with pinyin and a relative weight (roughly by frequency; rare and polyphonic
/// surnames such as 曾 zeng, 单 shan, 区 ou, 解 xie, 查 zha appear occasionally).
#[rustfmt::skip]
const SURNAMES: &[(&str, &str, u32)] = &[
    ("王", "wang", 72), ("李", "li", 72), ("张", "zhang", 68), ("刘", "liu", 52), ("陈", "chen", 46),
    ("杨", "yang", 31), ("黄", "huang", 24), ("赵", "zhao", 23), ("吴", "wu", 21), ("周", "zhou", 21),
    ("徐", "xu", 15), ("孙", "sun", 15), ("马", "ma", 14), ("朱", "zhu", 13), ("胡", "hu", 13), ("郭", "guo", 12),
    ("何", "he", 12), ("林", "lin", 11), ("高", "gao", 11), ("罗", "luo", 10), ("郑", "zheng", 10),
    ("梁", "liang", 9), ("谢", "xie", 8), ("宋", "song", 8), ("唐", "tang", 8), ("许", "xu", 7), ("韩", "han", 7),
    ("冯", "feng", 7), ("邓", "deng", 7), ("曹", "cao", 6), ("彭", "peng", 6), ("曾", "zeng", 6), ("肖", "xiao", 6),
    ("田", "tian", 5), ("董", "dong", 5), ("潘", "pan", 5), ("袁", "yuan", 5), ("蔡", "cai", 5), ("蒋", "jiang", 5),
    ("余", "yu", 5), ("于", "yu", 5), ("杜", "du", 4), ("叶", "ye", 4), ("程", "cheng", 4), ("魏", "wei", 4),
    ("苏", "su", 4), ("吕", "lv", 4), ("丁", "ding", 4), ("任", "ren", 4), ("沈", "shen", 4), ("姚", "yao", 3),
    ("卢", "lu", 3), ("钟", "zhong", 3), ("姜", "jiang", 3), ("崔", "cui", 3), ("谭", "tan", 3), ("陆", "lu", 3),
    ("范", "fan", 3), ("汪", "wang", 3), ("廖", "liao", 3), ("石", "shi", 3), ("金", "jin", 3), ("贾", "jia", 3),
    ("夏", "xia", 3), ("付", "fu", 3), ("方", "fang", 3), ("邹", "zou", 2), ("熊", "xiong", 2), ("白", "bai", 2),
    ("孟", "meng", 2), ("秦", "qin", 2), ("邱", "qiu", 2), ("侯", "hou", 2), ("江", "jiang", 2), ("尹", "yin", 2),
    ("薛", "xue", 2), ("闫", "yan", 2), ("段", "duan", 2), ("雷", "lei", 2), ("龙", "long", 2), ("黎", "li", 2),
    ("史", "shi", 2), ("陶", "tao", 2), ("贺", "he", 2), ("毛", "mao", 2), ("郝", "hao", 2), ("顾", "gu", 2),
    ("龚", "gong", 2), ("邵", "shao", 2), ("万", "wan", 2), ("覃", "qin", 1), ("武", "wu", 2), ("钱", "qian", 2),
    ("戴", "dai", 2), ("严", "yan", 2), ("莫", "mo", 1), ("孔", "kong", 1), ("向", "xiang", 1), ("常", "chang", 1),
    ("单", "shan", 1), ("区", "ou", 1), ("解", "xie", 1), ("查", "zha", 1), ("欧阳", "ouyang", 1),
    ("司徒", "situ", 1), ("诸葛", "zhuge", 1), ("上官", "shangguan", 1),
];

#[rustfmt::skip]
const GIVEN_MALE: &[(&str, &str)] = &[
    ("伟", "wei"), ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("勇", "yong"), ("杰", "jie"), ("涛", "tao"),
    ("斌", "bin"), ("超", "chao"), ("明", "ming"), ("刚", "gang"), ("平", "ping"), ("辉", "hui"), ("鹏", "peng"),
    ("华", "hua"), ("飞", "fei"), ("鑫", "xin"), ("波", "bo"), ("宇", "yu"), ("浩", "hao"), ("凯", "kai"),
    ("健", "jian"), ("俊", "jun"), ("帆", "fan"), ("建", "jian"), ("国", "guo"), ("志", "zhi"), ("文", "wen"),
    ("博", "bo"), ("晨", "chen"), ("阳", "yang"), ("峰", "feng"), ("林", "lin"), ("海", "hai"), ("东", "dong"),
    ("亮", "liang"), ("龙", "long"), ("成", "cheng"), ("立", "li"), ("新", "xin"), ("永", "yong"), ("振", "zhen"),
    ("子", "zi"), ("轩", "xuan"), ("宏", "hong"), ("毅", "yi"), ("嘉", "jia"), ("睿", "rui"), ("泽", "ze"),
    ("铭", "ming"),
];

#[rustfmt::skip]
const GIVEN_FEMALE: &[(&str, &str)] = &[
    ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"), ("艳", "yan"), ("娟", "juan"),
    ("霞", "xia"), ("秀", "xiu"), ("玲", "ling"), ("婷", "ting"), ("雪", "xue"), ("慧", "hui"), ("琳", "lin"),
    ("颖", "ying"), ("倩", "qian"), ("洁", "jie"), ("佳", "jia"), ("欣", "xin"), ("怡", "yi"), ("萍", "ping"),
    ("红", "hong"), ("梅", "mei"), ("莉", "li"), ("月", "yue"), ("晶", "jing"), ("璐", "lu"), ("蕾", "lei"),
    ("思", "si"), ("雨", "yu"), ("涵", "han"), ("悦", "yue"), ("诗", "shi"), ("梦", "meng"), ("琪", "qi"),
    ("瑶", "yao"), ("晓", "xiao"), ("春", "chun"), ("燕", "yan"), ("丹", "dan"), ("莹", "ying"), ("然", "ran"),
    ("文", "wen"), ("婉", "wan"), ("欢", "huan"),
];

const EN_MALE: &[&str] = &[
    "Kevin", "Jack", "Tony", "Eric", "Leo", "Jason", "Allen", "Frank", "Peter", "David", "Vincent", "Steven",
    "Michael", "Ryan", "Andy", "Thomas", "Daniel", "Mark", "Lukas", "James",
];

const EN_FEMALE: &[&str] = &[
    "Vivian", "Amy", "Grace", "Cathy", "Lily", "Cindy", "Helen", "Jenny", "Sharon", "Iris", "Wendy",
    "Angela", "Joyce", "Sunny", "Coco", "Sarah", "Emily", "Laura", "Sophie", "Hannah",
];

const EN_LAST: &[&str] = &[
    "Smith", "Johnson", "Brown", "Miller", "Wilson", "Taylor", "Anderson", "Schmidt", "Fischer", "Weber",
    "Tanaka", "Suzuki", "Nguyen", "Tan", "Lim", "Khan", "Garcia", "Martin", "Clarke", "Wagner",
];

/// Job titles with department and how senior they are (for the salutation and tags).
const TITLES_CN: &[(&str, &str, u32)] = &[
    ("采购经理", "采购部", 14),
    ("采购专员", "采购部", 12),
    ("采购总监", "采购部", 5),
    ("总经理", "总经办", 6),
    ("副总经理", "总经办", 5),
    ("董事长", "董事会", 2),
    ("技术总监", "技术部", 6),
    ("总工程师", "技术部", 3),
    ("研发工程师", "研发中心", 8),
    ("设备主管", "设备部", 8),
    ("设备工程师", "设备部", 6),
    ("生产经理", "生产部", 6),
    ("厂长", "生产部", 3),
    ("质量经理", "质量部", 5),
    ("财务经理", "财务部", 5),
    ("财务总监", "财务部", 2),
    ("IT 经理", "信息部", 5),
    ("信息化主管", "信息部", 4),
    ("行政主管", "行政部", 3),
    ("项目经理", "项目部", 6),
    ("仓储主管", "物流部", 3),
    ("外贸业务员", "国际业务部", 3),
    ("人力资源经理", "人力资源部", 2),
];

const TITLES_EN: &[(&str, &str)] = &[
    ("Purchasing Manager", "Procurement"),
    ("General Manager", "Management"),
    ("CTO", "Engineering"),
    ("Sales Director", "Sales"),
    ("Operations Manager", "Operations"),
    ("Supply Chain Manager", "Supply Chain"),
    ("Finance Director", "Finance"),
    ("IT Manager", "IT"),
    ("Quality Manager", "Quality"),
    ("Project Manager", "Projects"),
    ("Sourcing Specialist", "Procurement"),
];

const CONTACT_TAGS: &[&str] = &[
    "决策人",
    "关键联系人",
    "技术把关",
    "价格敏感",
    "老朋友",
    "已加微信",
    "展会认识",
    "需定期回访",
    "英文沟通",
];

const PERSONAL_MAIL: &[(&str, u32)] = &[
    ("163.com", 30),
    ("126.com", 12),
    ("qq.com", 35),
    ("foxmail.com", 8),
    ("139.com", 5),
    ("outlook.com", 6),
    ("gmail.com", 4),
];

/// Mobile prefixes valid in the Chinese numbering plan, common ones repeated.
#[rustfmt::skip]
const MOBILE_PREFIXES: &[u16] = &[
    130, 131, 132, 133, 134, 135, 135, 136, 136, 137, 138, 138, 138, 139, 139, 139, 150, 151, 152, 153, 155,
    156, 157, 158, 158, 159, 159, 166, 173, 176, 177, 178, 180, 181, 182, 183, 185, 186, 186, 187, 188, 189,
    189, 198, 199,
];

// Leads, opportunities -------------------------------------------------------------------------

const LEAD_STATUS: &[(&str, u32)] = &[
    ("new", 30),
    ("working", 25),
    ("nurturing", 15),
    ("qualified", 15),
    ("unqualified", 15),
];

const RATINGS: &[(&str, u32)] = &[("hot", 20), ("warm", 45), ("cold", 35)];

const EQUIPMENT: &[&str] = &[
    "五轴加工中心",
    "光纤激光切割机",
    "工业机器人",
    "三坐标测量机",
    "视觉检测设备",
    "AGV 搬运机器人",
    "机架式服务器",
    "数控车床",
    "注塑机",
    "空压机",
];

const SYSTEMS: &[&str] = &[
    "ERP 系统",
    "MES 系统",
    "仓储管理系统",
    "CRM 系统",
    "设备物联网平台",
    "质量管理系统",
];

const WHEN: &[&str] = &["下季度", "年底前", "明年上半年", "三个月内", "今年内", "下个月"];

const SOLUTIONS: &[&str] = &[
    "自动化产线",
    "智能仓储",
    "信息化",
    "数字化工厂",
    "设备联网",
    "质量追溯",
];

/// Opportunity projects: name, amount range in yuan, whether it is a renewal.
const PROJECTS: &[(&str, u32, u32, bool)] = &[
    ("五轴加工中心采购", 800_000, 4_000_000, false),
    ("ERP 实施项目", 150_000, 1_200_000, false),
    ("MES 系统升级", 200_000, 1_500_000, false),
    ("年度备件框架协议", 50_000, 600_000, false),
    ("产线自动化改造", 500_000, 6_000_000, false),
    ("设备维保续约", 30_000, 300_000, true),
    ("数据中心扩容", 300_000, 2_500_000, false),
    ("CRM 订阅续费", 12_000, 240_000, true),
    ("检测设备采购", 150_000, 900_000, false),
    ("智能仓储系统", 400_000, 3_000_000, false),
    ("激光切割机采购", 400_000, 1_800_000, false),
    ("工业机器人集成", 300_000, 2_400_000, false),
    ("耗材年度采购", 20_000, 300_000, true),
    ("操作培训服务", 8_000, 80_000, false),
    ("视觉检测方案", 80_000, 600_000, false),
    ("云服务订阅", 20_000, 360_000, true),
    ("海外分销合作", 200_000, 3_000_000, false),
    ("二期工厂设备招标", 2_000_000, 12_000_000, false),
];

/// Stage, probability, weight.
type Stages = &'static [((&'static str, u32), u32)];

/// The demo company's sales processes (defined in full by `demo::sales_processes`), how
/// often a deal follows each, and for each its stages with their default probability and
/// how often deals are found in them.
pub const PROCESSES: &[((&str, Stages), u32)] = &[
    (
        (
            "project",
            &[
                (("prospecting", 10), 15),
                (("qualification", 20), 15),
                (("proposal", 50), 15),
                (("negotiation", 70), 12),
                (("closed_won", 100), 25),
                (("closed_lost", 0), 18),
            ],
        ),
        50,
    ),
    (
        (
            "channel",
            &[
                (("prospecting", 10), 20),
                (("qualification", 25), 20),
                (("proposal", 60), 15),
                (("closed_won", 100), 25),
                (("closed_lost", 0), 20),
            ],
        ),
        30,
    ),
    (
        (
            "retail",
            &[
                (("prospecting", 30), 30),
                (("proposal", 60), 20),
                (("closed_won", 100), 30),
                (("closed_lost", 0), 20),
            ],
        ),
        20,
    ),
];

const WIN_REASONS: &[(&str, u32)] = &[
    ("product_fit", 30),
    ("relationship", 25),
    ("price", 20),
    ("service", 12),
    ("delivery", 10),
    ("other", 3),
];

const OPP_TYPES: &[(&str, u32)] = &[("new_business", 55), ("existing_business", 45)];

const DEAL_SCOPES: &[&str] = &[
    "新工厂",
    "集团总部",
    "华东基地",
    "华南基地",
    "研发中心",
    "海外事业部",
];

const NEXT_STEPS: &[&str] = &[
    "安排技术交流会",
    "发送正式报价",
    "提交方案评审",
    "预约现场演示",
    "跟进招标文件",
    "确认付款条件",
    "安排高层拜访",
    "准备合同草案",
    "邀请客户参观样板工厂",
    "确认交货期与安装计划",
];

const LOSS_REASONS: &[(&str, u32)] = &[
    ("price", 35),
    ("competitor", 25),
    ("no_budget", 15),
    ("no_decision", 12),
    ("product_fit", 8),
    ("other", 5),
];

const OPP_DESCRIPTIONS: &[&str] = &[
    "客户计划扩产，需与现有产线兼容。",
    "决策链较长，需集团总部审批。",
    "竞争对手为进口品牌，客户关注性价比。",
    "客户要求提供同行业案例并安排参观。",
    "预算已批复，付款方式为 3-6-1。",
    "需要在春节前完成交付和验收。",
];

// Products -------------------------------------------------------------------------------------

/// code, name, family, unit, list price, tax rate, active, specification, description.
type ProductRow = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    bool,
    &'static str,
    &'static str,
);

const PRODUCTS: &[ProductRow] = &[
    (
        "GX-VMC-650",
        "五轴立式加工中心 VMC-650",
        "hardware",
        "set",
        "1280000.00",
        "13.00",
        true,
        "行程 650×520×450 mm，主轴 12000 rpm，BT40",
        "适用于复杂曲面零件的高精度五轴加工。",
    ),
    (
        "GX-LC-3015",
        "光纤激光切割机 LC-3015",
        "hardware",
        "set",
        "586000.00",
        "13.00",
        true,
        "幅面 3000×1500 mm，激光功率 6 kW",
        "碳钢、不锈钢、铝板高速切割，含交换工作台。",
    ),
    (
        "GX-LC-2010",
        "光纤激光切割机 LC-2010（停产）",
        "hardware",
        "set",
        "368000.00",
        "13.00",
        false,
        "幅面 2000×1000 mm，激光功率 3 kW",
        "已停产，由 LC-3015 替代，仅保留备件供应。",
    ),
    (
        "GX-CMM-544",
        "三坐标测量机 CMM-544",
        "hardware",
        "set",
        "398000.00",
        "13.00",
        true,
        "测量范围 500×400×400 mm，精度 1.9+L/300 μm",
        "恒温车间使用，配测量软件一套。",
    ),
    (
        "GX-RB-20",
        "六轴工业机器人 RB-20",
        "hardware",
        "set",
        "168000.00",
        "13.00",
        true,
        "负载 20 kg，臂展 1811 mm，重复定位 ±0.05 mm",
        "适用于上下料、搬运、码垛。",
    ),
    (
        "GX-VS-200",
        "机器视觉检测工作站 VS-200",
        "hardware",
        "set",
        "86000.00",
        "13.00",
        true,
        "500 万像素工业相机 ×2，检测节拍 0.3 s",
        "外观缺陷与尺寸在线检测。",
    ),
    (
        "GX-PLC-S7",
        "可编程控制器模块 PLC-S7",
        "hardware",
        "piece",
        "4680.00",
        "13.00",
        true,
        "DI16/DO16，支持 PROFINET",
        "产线控制系统扩展模块。",
    ),
    (
        "GX-SRV-R740",
        "机架式服务器 R740",
        "hardware",
        "piece",
        "52800.00",
        "13.00",
        true,
        "2×Xeon Silver 4314，256 GB 内存，4×1.92 TB SSD",
        "适用于 MES、ERP 本地部署。",
    ),
    (
        "GX-AGV-500",
        "AGV 搬运机器人 500 kg",
        "hardware",
        "set",
        "135000.00",
        "13.00",
        true,
        "额定负载 500 kg，激光 SLAM 导航",
        "车间物料自动配送。",
    ),
    (
        "GX-ERP-STD",
        "Guanxi ERP 标准版（50 用户）",
        "software",
        "set",
        "180000.00",
        "13.00",
        true,
        "永久授权，含财务、供应链、生产模块",
        "中型制造企业一体化管理软件。",
    ),
    (
        "GX-MES-ENT",
        "MES 制造执行系统 企业版",
        "software",
        "set",
        "360000.00",
        "13.00",
        true,
        "支持 5 个车间，含设备采集网关",
        "生产计划、报工、质量追溯全流程管理。",
    ),
    (
        "GX-WMS",
        "WMS 仓储管理系统",
        "software",
        "set",
        "98000.00",
        "13.00",
        true,
        "支持 PDA 扫码、波次拣货",
        "仓库收发存精细化管理。",
    ),
    (
        "GX-CAD-SEAT",
        "三维 CAD 设计软件（单机授权）",
        "software",
        "piece",
        "36000.00",
        "13.00",
        true,
        "单机永久授权，含 1 年升级",
        "机械设计与工程图。",
    ),
    (
        "GX-SVC-INST",
        "设备安装调试服务",
        "service",
        "set",
        "12000.00",
        "9.00",
        true,
        "含就位、水平调整、试切验收",
        "由原厂工程师现场安装调试。",
    ),
    (
        "GX-SVC-LIFT",
        "设备运输及吊装",
        "service",
        "set",
        "6500.00",
        "9.00",
        true,
        "市内运输，25 吨吊车一台班",
        "大型设备运输、吊装就位。",
    ),
    (
        "GX-SVC-TRAIN",
        "操作与维护培训（2 天）",
        "service",
        "set",
        "8000.00",
        "6.00",
        true,
        "现场培训 2 天，不超过 10 人",
        "设备操作、日常保养与常见故障处理。",
    ),
    (
        "GX-SVC-IMPL",
        "软件实施顾问服务",
        "service",
        "hour",
        "1200.00",
        "6.00",
        true,
        "高级实施顾问，按人时计费",
        "需求调研、系统配置、数据迁移与上线支持。",
    ),
    (
        "GX-SVC-AMC",
        "年度维保服务合同",
        "service",
        "year",
        "48000.00",
        "6.00",
        true,
        "每季度巡检一次，48 小时到场",
        "设备预防性维护及故障响应。",
    ),
    (
        "GX-SVC-ONSITE",
        "上门检修服务",
        "service",
        "hour",
        "800.00",
        "6.00",
        true,
        "工程师上门，差旅另计",
        "非保修期设备故障检修。",
    ),
    (
        "GX-CN-CUT",
        "全合成切削液（20 L 装）",
        "consumables",
        "box",
        "680.00",
        "13.00",
        true,
        "20 L/桶，稀释比 1:20",
        "适用于钢件、铝件加工，防锈性能好。",
    ),
    (
        "GX-CN-NOZ",
        "激光切割喷嘴（10 只装）",
        "consumables",
        "box",
        "350.00",
        "13.00",
        true,
        "单层/双层，口径 1.0–3.0 mm",
        "激光切割头通用喷嘴。",
    ),
    (
        "GX-CN-LUB",
        "导轨润滑油 68#",
        "consumables",
        "kg",
        "42.00",
        "13.00",
        true,
        "ISO VG 68，18 L/桶",
        "机床导轨及丝杠润滑。",
    ),
    (
        "GX-CN-FIL",
        "除尘滤芯",
        "consumables",
        "piece",
        "260.00",
        "13.00",
        true,
        "Φ325×660 mm，覆膜聚酯",
        "激光切割除尘器用滤芯。",
    ),
    (
        "GX-CN-CABLE",
        "屏蔽电缆 4×1.5 mm²",
        "consumables",
        "meter",
        "18.50",
        "13.00",
        true,
        "耐油拖链电缆，PVC 护套",
        "伺服电机动力线。",
    ),
    (
        "GX-SP-SPD",
        "电主轴总成 12000 rpm",
        "spare_parts",
        "piece",
        "56000.00",
        "13.00",
        true,
        "BT40，功率 15 kW",
        "VMC-650 原厂备件。",
    ),
    (
        "GX-SP-BS",
        "滚珠丝杠 SFU2510",
        "spare_parts",
        "piece",
        "1280.00",
        "13.00",
        true,
        "直径 25 mm，导程 10 mm，长度 800 mm",
        "C5 级精度。",
    ),
    (
        "GX-SP-SRV",
        "交流伺服电机 1.5 kW",
        "spare_parts",
        "piece",
        "3980.00",
        "13.00",
        true,
        "额定转速 3000 rpm，17 位编码器",
        "机床进给轴及机器人关节通用。",
    ),
    (
        "GX-SP-LENS",
        "激光保护镜片",
        "spare_parts",
        "piece",
        "120.00",
        "13.00",
        true,
        "Φ37×7 mm，石英",
        "切割头保护镜片，建议每周更换。",
    ),
    (
        "GX-SP-ENC",
        "绝对值编码器",
        "spare_parts",
        "piece",
        "1650.00",
        "13.00",
        true,
        "23 位单圈，多圈记忆",
        "伺服电机替换用。",
    ),
    (
        "GX-SUB-CRM",
        "Guanxi CRM 企业版订阅（每用户）",
        "subscription",
        "year",
        "1200.00",
        "6.00",
        true,
        "按用户按年订阅，含移动端",
        "客户、商机、工单一体化管理。",
    ),
    (
        "GX-SUB-IOT",
        "设备物联网平台订阅",
        "subscription",
        "year",
        "36000.00",
        "6.00",
        true,
        "最多接入 50 台设备",
        "设备状态监控、OEE 分析与告警推送。",
    ),
    (
        "GX-SUB-CLOUD",
        "云主机 8 核 32 GB",
        "subscription",
        "year",
        "9600.00",
        "6.00",
        true,
        "8 vCPU，32 GB 内存，500 GB 云盘",
        "托管部署 ERP、MES 等业务系统。",
    ),
    (
        "GX-SUB-RMT",
        "远程诊断服务订阅",
        "subscription",
        "year",
        "6800.00",
        "6.00",
        true,
        "7×24 远程支持，4 小时响应",
        "工程师远程排查设备及软件故障。",
    ),
];

// Activities -----------------------------------------------------------------------------------

const ACTIVITY_TYPES: &[(&str, u32)] = &[
    ("call", 30),
    ("email", 25),
    ("meeting", 10),
    ("visit", 10),
    ("task", 15),
    ("note", 10),
];

const CALL_SUBJECTS: &[&str] = &[
    "电话回访：确认报价细节",
    "电话沟通：交货期确认",
    "来电咨询：设备参数",
    "电话跟进：付款进度",
    "电话回访：售后满意度",
    "电话预约：上门拜访时间",
    "电话沟通：合同条款",
    "来电：询问备件价格",
    "Call: confirm delivery schedule",
];

const EMAIL_SUBJECTS: &[&str] = &[
    "发送报价单及技术方案",
    "邮件确认：合同条款修改",
    "回复客户询价",
    "发送发票及对账单",
    "邮件跟进：样品测试结果",
    "发送培训资料",
    "Quotation follow-up",
    "RE: Request for quotation",
];

const MEETING_SUBJECTS: &[&str] = &[
    "技术交流会：方案讲解",
    "商务谈判：价格与付款方式",
    "项目启动会",
    "季度业务回顾会议",
    "视频会议：需求调研",
    "方案评审会",
    "Kick-off meeting",
];

const VISIT_SUBJECTS: &[&str] = &[
    "拜访客户：设备验收",
    "上门拜访：了解产线改造需求",
    "现场勘查：安装条件确认",
    "拜访采购部：年度框架协议",
    "陪同技术人员上门调试",
    "拜访客户高层：战略合作",
];

const TASK_SUBJECTS: &[&str] = &[
    "准备报价单",
    "整理会议纪要并发送",
    "提交合同审批",
    "安排样品寄送",
    "跟进回款",
    "更新客户资料",
    "准备投标文件",
    "预约下次拜访",
];

const NOTE_SUBJECTS: &[&str] = &[
    "客户反馈：对交期比较敏感",
    "备注：客户预算下季度批复",
    "竞争对手已报价，价格低约 8%",
    "客户新任采购经理，需重新建立关系",
    "客户计划扩建二期工厂",
    "客户对售后响应速度表示满意",
];

const ACTIVITY_DESCRIPTIONS: &[&str] = &[
    "客户对方案整体认可，要求下周提供正式报价。",
    "对方关注交货期和售后响应时间。",
    "已将资料发送至客户邮箱，等待反馈。",
    "客户表示需内部讨论后再答复。",
    "采购流程需走招标，预计一个月。",
    "现场确认了电源、气源和地基条件。",
    "客户希望增加一次免费培训。",
];

const CALL_OUTCOMES: &[(&str, u32)] = &[
    ("completed", 35),
    ("no_answer", 15),
    ("left_message", 8),
    ("interested", 15),
    ("not_interested", 5),
    ("follow_up", 22),
];

const MEETING_OUTCOMES: &[(&str, u32)] = &[
    ("completed", 50),
    ("interested", 25),
    ("follow_up", 20),
    ("not_interested", 5),
];

const PRIORITIES: &[(&str, u32)] = &[("normal", 70), ("high", 15), ("low", 15)];

const MEETING_ROOMS: &[&str] = &["公司 3 楼会议室", "公司大会议室", "客户会议室", "展厅洽谈室"];

// Cases ----------------------------------------------------------------------------------------

/// subject, type, priority bias (0 normal, 1 higher), description, resolution.
const CASES: &[(&str, &str, u8, &str, &str)] = &[
    (
        "设备异响，需上门检修",
        "repair",
        1,
        "客户反映主轴高速运转时有异响，已影响正常生产。",
        "更换主轴轴承并重新动平衡，试运行正常。",
    ),
    (
        "主轴温度过高报警",
        "repair",
        1,
        "连续加工两小时后出现主轴过热报警。",
        "清洗冷却系统并更换冷却液，报警消除。",
    ),
    (
        "激光功率下降",
        "repair",
        1,
        "切割 10 mm 碳钢时无法切透，怀疑功率衰减。",
        "更换保护镜片并校准光路，功率恢复正常。",
    ),
    (
        "系统登录报错 500",
        "repair",
        1,
        "多名用户登录 MES 时提示服务器错误。",
        "数据库连接池耗尽，调整参数并升级补丁。",
    ),
    (
        "PLC 通讯中断",
        "repair",
        1,
        "产线 PLC 与上位机通讯频繁中断。",
        "更换交换机端口并固定 IP 地址，通讯稳定。",
    ),
    (
        "数据同步失败",
        "repair",
        0,
        "ERP 与 WMS 之间的出库单同步失败。",
        "修正接口字段映射，补推历史单据。",
    ),
    (
        "机器人示教器黑屏",
        "repair",
        1,
        "开机后示教器无显示。",
        "更换示教器电缆，恢复正常。",
    ),
    (
        "咨询设备保养周期",
        "consultation",
        0,
        "客户询问加工中心日常保养项目和周期。",
        "已发送保养手册并电话讲解。",
    ),
    (
        "如何导出报表",
        "consultation",
        0,
        "客户不清楚如何按月导出销售报表。",
        "远程指导操作，并发送操作视频。",
    ),
    (
        "询问备件价格及货期",
        "inquiry",
        0,
        "客户需要电主轴备件报价和交货期。",
        "已报价，现货两天内发出。",
    ),
    (
        "发票抬头有误",
        "inquiry",
        0,
        "客户收到的增值税专用发票抬头有误，需重开。",
        "已作废原发票并重新开具寄出。",
    ),
    (
        "发货延迟投诉",
        "complaint",
        1,
        "合同约定交货期已过一周，设备仍未到货。",
        "协调物流加急发货，并赠送一次免费保养。",
    ),
    (
        "售后响应慢投诉",
        "complaint",
        1,
        "客户报修后 48 小时仍无工程师联系。",
        "向客户致歉，调整区域服务排班并当天上门。",
    ),
    (
        "安装人员服务态度投诉",
        "complaint",
        1,
        "客户投诉安装人员现场沟通态度差。",
        "已约谈相关人员，区域经理登门致歉。",
    ),
    (
        "到货配件型号不符，申请换货",
        "return",
        0,
        "收到的伺服电机型号与订单不一致。",
        "已安排换货，错发件由物流取回。",
    ),
    (
        "耗材包装破损退货",
        "return",
        0,
        "切削液到货时包装破损渗漏。",
        "已补发新货并办理退货。",
    ),
    (
        "希望增加批量导入功能",
        "feature_request",
        0,
        "客户希望支持 Excel 批量导入物料数据。",
        "已纳入产品规划，预计下个版本上线。",
    ),
    (
        "建议报表支持按月汇总",
        "feature_request",
        0,
        "客户建议销售报表支持按月、按区域汇总。",
        "已通过自定义报表实现，并反馈产品团队。",
    ),
];

const CASE_STATUS: &[(&str, u32)] = &[
    ("new", 10),
    ("in_progress", 15),
    ("waiting_customer", 8),
    ("escalated", 4),
    ("resolved", 18),
    ("closed", 45),
];

const CASE_ORIGINS: &[(&str, u32)] = &[
    ("phone", 35),
    ("wechat", 25),
    ("email", 20),
    ("web", 12),
    ("in_person", 5),
    ("other", 3),
];

// ---------------------------------------------------------------------------------------------
// The generator
// ---------------------------------------------------------------------------------------------

const KIND_ACCOUNT: u64 = 1;
const KIND_CONTACT: u64 = 2;
const KIND_LEAD: u64 = 3;
const KIND_OPPORTUNITY: u64 = 4;
const KIND_PRODUCT: u64 = 5;
const KIND_ACTIVITY: u64 = 6;
const KIND_CASE: u64 = 7;
const KIND_SERVICE_COST: u64 = 8;

/// Deterministic generator of demo records. See the module documentation.
pub struct Generator {
    seed: u64,
    rng: StdRng,
}

impl Generator {
    pub fn new(seed: u64) -> Self {
        Generator {
            seed,
            rng: StdRng::seed_from_u64(seed),
        }
    }

    /// Starts the random stream of record `i` of `kind`.
    fn start(&mut self, kind: u64, i: usize) {
        let s = splitmix(self.seed ^ splitmix(kind.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ i as u64));
        self.rng = StdRng::seed_from_u64(s);
    }

    /// Company i. Mostly Chinese companies across the country, some English-named trading
    /// companies in the foreign-trade hubs, a few overseas.
    pub fn account(&mut self, i: usize) -> Map<String, Json> {
        self.start(KIND_ACCOUNT, i);
        let rng = &mut self.rng;
        let mut m = Record::new();
        let kind = rng.gen_range(0..100u32);
        let industry: &str;
        let domain: String;
        let tier = *weighted(rng, TIERS);
        if kind < 88 {
            let c = CnCompany::random(rng);
            let legal = c.legal_name(rng);
            let name = if chance(rng, 75) {
                legal.clone()
            } else {
                c.short_name()
            };
            put(&mut m, "name", name);
            put(&mut m, "legal_name", legal);
            industry = c.trade().3;
            domain = c.domain(rng.r#gen());
            put_cn_location(rng, &mut m, c.city);
        } else {
            let first = pick(rng, EN_FIRST);
            let second = pick(rng, EN_SECOND);
            industry = second.2;
            let (suffix, tld) = if kind < 95 {
                let hub = &CITIES[*pick(rng, TRADE_HUBS) % CITIES.len()];
                put_cn_location(rng, &mut m, hub);
                (
                    if chance(rng, 80) { "Co., Ltd." } else { "Limited" },
                    if chance(rng, 50) { "com" } else { "com.cn" },
                )
            } else {
                let o = pick(rng, OVERSEAS);
                put(&mut m, "region", "overseas");
                put(&mut m, "country", o.0);
                put(&mut m, "city", o.1);
                let street = OVERSEAS_STREETS[o.4 % OVERSEAS_STREETS.len()];
                put(
                    &mut m,
                    "address",
                    cat(&[&num(rng.gen_range(1..300), 1), " ", street]),
                );
                put(&mut m, "postal_code", o.2);
                put(&mut m, "phone", foreign_phone(rng, o.4));
                (o.3, "com")
            };
            let name = cat(&[first.0, " ", second.0, " ", suffix]);
            put(&mut m, "legal_name", name.clone());
            put(&mut m, "name", name);
            domain = cat(&[first.1, "-", second.1, ".", tld]);
        }
        put(&mut m, "code", cat(&["KH-", &num(i as u64 + 1, 6)]));
        put(&mut m, "type", *weighted(rng, ACCOUNT_TYPES));
        put(&mut m, "industry", industry);
        put(&mut m, "tier", tier);
        if chance(rng, 85) {
            let www = if chance(rng, 85) { "www." } else { "" };
            let scheme = if chance(rng, 50) { "https://" } else { "" };
            put(&mut m, "website", cat(&[scheme, www, &domain]));
        }
        if chance(rng, 80) {
            let mailbox = *pick(
                rng,
                &["info", "info", "sales", "service", "contact", "hr", "admin"],
            );
            put(&mut m, "email", cat(&[mailbox, "@", &domain]));
        }
        let (lo, hi) = match tier {
            "strategic" => (1000, 20000),
            "key" => (300, 3000),
            "standard" => (50, 500),
            _ => (5, 80),
        };
        let employees: i64 = rng.gen_range(lo..=hi);
        put(&mut m, "employees", employees);
        if chance(rng, 80) {
            // Revenue per employee between 0.3 and 1.5 million yuan, rounded to 10,000.
            let per_head: i64 = rng.gen_range(30..=150);
            let revenue = employees * per_head * 10_000;
            if m.get("region").and_then(Json::as_str) == Some("overseas") {
                put(&mut m, "annual_revenue", money_obj(revenue / 7 * 100, "USD"));
            } else {
                put(&mut m, "annual_revenue", money(revenue * 100));
            }
        }
        put(&mut m, "source", *weighted(rng, SOURCES));
        let tags = pick_tags(rng, ACCOUNT_TAGS, 60, 3);
        if !tags.is_empty() {
            put(&mut m, "tags", tags);
        }
        if chance(rng, 10) {
            put(
                &mut m,
                "description",
                "长期合作客户，关注设备稳定性和售后响应速度。",
            );
        }
        put(&mut m, "external_id", cat(&["ERP-A", &num(i as u64, 7)]));
        m
    }

    /// Person i, optionally working at `account`.
    pub fn contact(&mut self, i: usize, account: Option<Uuid>) -> Map<String, Json> {
        self.start(KIND_CONTACT, i);
        let rng = &mut self.rng;
        let mut m = Record::new();
        let mut p = Person::random(rng, 92);
        // Contacts of one account share its mail domain and (mostly) its city.
        let account_hash = account.map(|a| {
            let v = a.as_u128();
            splitmix(v as u64 ^ (v >> 64) as u64)
        });
        put(&mut m, "name", std::mem::take(&mut p.name));
        if let Some(en) = p.english_name() {
            put(&mut m, "english_name", en);
        }
        let (title, department) = if p.chinese || chance(rng, 30) {
            weighted3(rng, TITLES_CN)
        } else {
            *pick(rng, TITLES_EN)
        };
        put(&mut m, "title", title);
        put(&mut m, "department", department);
        let senior = ["总", "长", "Director", "General", "CTO"]
            .iter()
            .any(|w| title.contains(w));
        let salutation = if senior && chance(rng, 8) {
            "dr"
        } else if chance(rng, 1) {
            "prof"
        } else if p.male {
            "mr"
        } else {
            "ms"
        };
        if chance(rng, 85) {
            put(&mut m, "salutation", salutation);
        }
        if let Some(a) = account {
            put(&mut m, "account", id_text(a));
        }
        if p.chinese || chance(rng, 50) {
            put(&mut m, "mobile", mobile(rng));
        } else {
            let place = rng.gen_range(0..OVERSEAS.len());
            put(&mut m, "mobile", foreign_mobile(rng, place));
        }
        let city = match account_hash {
            Some(h) if chance(rng, 85) => weighted_city_by(h),
            _ => weighted_city(rng),
        };
        if chance(rng, 30) {
            put(&mut m, "phone", landline(rng, city));
        }
        if chance(rng, 90) {
            let domain = match account_hash {
                Some(h) if chance(rng, 85) => company_domain(h),
                _ if chance(rng, 50) => company_domain(rng.r#gen()),
                _ => String::new(),
            };
            let email = if domain.is_empty() {
                p.personal_email(rng)
            } else {
                p.work_email(rng, &domain)
            };
            put(&mut m, "email", email);
        }
        if p.chinese && chance(rng, 45) {
            put(&mut m, "wechat", p.wechat(rng));
        }
        if chance(rng, 25) {
            let (y, mo) = (rng.gen_range(1962..=2001), rng.gen_range(1..=12));
            let d = rng.gen_range(1..=days_in_month(y, mo));
            put(
                &mut m,
                "birthday",
                cat(&[&num(y, 4), "-", &num(mo, 2), "-", &num(d, 2)]),
            );
        }
        put(&mut m, "province", city.province);
        put(&mut m, "city", city.name);
        put(&mut m, "source", *weighted(rng, SOURCES));
        put(&mut m, "email_opt_out", chance(rng, 4));
        let tags = pick_tags(rng, CONTACT_TAGS, 35, 2);
        if !tags.is_empty() {
            put(&mut m, "tags", tags);
        }
        put(&mut m, "external_id", cat(&["ERP-C", &num(i as u64, 8)]));
        m
    }

    /// Lead i: a person at a company not yet in the CRM.
    pub fn lead(&mut self, i: usize) -> Map<String, Json> {
        self.start(KIND_LEAD, i);
        let rng = &mut self.rng;
        let mut m = Record::new();
        let mut p = Person::random(rng, 95);
        put(&mut m, "name", std::mem::take(&mut p.name));
        let c = CnCompany::random(rng);
        let domain = c.domain(rng.r#gen());
        put(&mut m, "company", c.legal_name(rng));
        if chance(rng, 80) {
            put(&mut m, "title", weighted3(rng, TITLES_CN).0);
        }
        if chance(rng, 90) {
            put(&mut m, "mobile", mobile(rng));
        }
        if chance(rng, 15) {
            put(&mut m, "phone", landline(rng, c.city));
        }
        if chance(rng, 75) {
            let email = if chance(rng, 70) {
                p.work_email(rng, &domain)
            } else {
                p.personal_email(rng)
            };
            put(&mut m, "email", email);
        }
        if chance(rng, 30) {
            put(&mut m, "website", cat(&["www.", &domain]));
        }
        put(&mut m, "industry", c.trade().3);
        put(&mut m, "region", c.city.region);
        put(&mut m, "province", c.city.province);
        put(&mut m, "city", c.city.name);
        put(&mut m, "source", *weighted(rng, SOURCES));
        put(&mut m, "status", *weighted(rng, LEAD_STATUS));
        if chance(rng, 75) {
            put(&mut m, "rating", *weighted(rng, RATINGS));
        }
        if chance(rng, 55) {
            let yuan: i64 = rng.gen_range(5..=500) * 10_000;
            put(&mut m, "budget", money(yuan * 100));
        }
        let description = match rng.gen_range(0..5u32) {
            0 => format!(
                "计划采购 {} 台{}，预计{}招标。",
                rng.gen_range(1..=8u32),
                pick(rng, EQUIPMENT),
                pick(rng, WHEN)
            ),
            1 => format!(
                "现有{}已使用多年，希望{}完成升级。",
                pick(rng, SYSTEMS),
                pick(rng, WHEN)
            ),
            2 => format!("展会上咨询{}，需要报价和技术资料。", pick(rng, EQUIPMENT)),
            3 => format!("新工厂筹建中，需要整体{}方案。", pick(rng, SOLUTIONS)),
            _ => format!("对{}感兴趣，预算待审批。", pick(rng, EQUIPMENT)),
        };
        put(&mut m, "description", description);
        put(&mut m, "external_id", cat(&["ERP-L", &num(i as u64, 8)]));
        m
    }

    /// Opportunity i for `account`, with a close date around `today`.
    pub fn opportunity(
        &mut self,
        i: usize,
        account: Uuid,
        contact: Option<Uuid>,
        today: NaiveDate,
    ) -> Map<String, Json> {
        self.start(KIND_OPPORTUNITY, i);
        let rng = &mut self.rng;
        let mut m = Record::new();
        let project = pick(rng, PROJECTS);
        put(&mut m, "account", id_text(account));
        if let Some(c) = contact {
            put(&mut m, "contact", id_text(c));
        }
        let mut yuan: i64 = rng.gen_range(i64::from(project.1)..=i64::from(project.2));
        yuan = if yuan >= 100_000 {
            yuan / 1000 * 1000
        } else {
            yuan / 100 * 100
        };
        let mut cents = yuan * 100;
        if chance(rng, 8) {
            cents += rng.gen_range(1..100) * 50 % 10_000;
        }
        let amount = match rng.gen_range(0..100u32) {
            0..=84 => Json::String(money(cents)),
            85..=89 => money_obj(cents, "CNY"),
            90..=96 => money_obj(cents / 7 / 10_000 * 10_000, "USD"),
            _ => money_obj(cents * 10 / 78 / 10_000 * 10_000, "EUR"),
        };
        put(&mut m, "amount", amount);
        let (process, stages) = *weighted(rng, PROCESSES);
        let (stage, probability) = *weighted(rng, stages);
        put(&mut m, "process", process);
        put(&mut m, "stage", stage);
        put(&mut m, "probability", probability);
        let closed = stage.starts_with("closed");
        let offset = if closed {
            -rng.gen_range(1..=540i64)
        } else {
            rng.gen_range(7..=180i64)
        };
        let close = add_days(today, offset);
        put(&mut m, "close_date", fmt_date(close));
        // A closed deal entered its closing stage on its close date; an open one has been
        // in its stage for up to six weeks.
        let entered = if closed {
            close
        } else {
            add_days(today, -rng.gen_range(0..=42i64))
        };
        put(
            &mut m,
            "stage_entered_at",
            cat(&[&fmt_date(entered), "T10:00:00+08:00"]),
        );
        // The account's name is not known here (only its id), so the deal is named after the
        // project; callers who want "华通精密 - …" prefix the account's short name.
        let name = match rng.gen_range(0..10u32) {
            0..=5 => project.0.to_owned(),
            6..=7 => cat(&[
                project.0,
                "（",
                &num(close.year().unsigned_abs().into(), 4),
                " 年度）",
            ]),
            8 => cat(&[project.0, "（二期）"]),
            _ => cat(&[*pick(rng, DEAL_SCOPES), project.0]),
        };
        put(&mut m, "name", name);
        let kind = if project.3 {
            "renewal"
        } else {
            *weighted(rng, OPP_TYPES)
        };
        put(&mut m, "type", kind);
        put(&mut m, "source", *weighted(rng, SOURCES));
        if !closed {
            put(&mut m, "next_step", *pick(rng, NEXT_STEPS));
        }
        if stage == "closed_lost" {
            put(&mut m, "loss_reason", *weighted(rng, LOSS_REASONS));
        }
        if stage == "closed_won" {
            put(&mut m, "win_reason", *weighted(rng, WIN_REASONS));
        }
        if chance(rng, 30) {
            put(&mut m, "description", *pick(rng, OPP_DESCRIPTIONS));
        }
        put(&mut m, "external_id", cat(&["ERP-O", &num(i as u64, 8)]));
        m
    }

    /// Number of products in the fixed catalogue.
    pub fn products_len() -> usize {
        PRODUCTS.len()
    }

    /// Product i of the catalogue. Indexes past the end repeat the catalogue with numbered
    /// codes, so codes stay unique.
    pub fn product(&mut self, i: usize) -> Map<String, Json> {
        self.start(KIND_PRODUCT, i);
        let n = PRODUCTS.len();
        let (code, name, family, unit, price, tax, active, spec, description) = PRODUCTS[i % n];
        let round = i / n;
        let mut m = Record::new();
        if round == 0 {
            put(&mut m, "name", name);
            put(&mut m, "code", code);
        } else {
            put(&mut m, "name", format!("{name}（{}）", round + 1));
            put(&mut m, "code", format!("{code}-{}", round + 1));
        }
        put(&mut m, "family", family);
        put(&mut m, "unit", unit);
        put(&mut m, "list_price", price);
        put(&mut m, "tax_rate", tax);
        put(&mut m, "active", active);
        put(&mut m, "specification", spec);
        put(&mut m, "description", description);
        let tag = match family {
            "hardware" if active => Some("整机"),
            "subscription" => Some("按年订阅"),
            "consumables" | "spare_parts" => Some("现货"),
            _ => None,
        };
        if let Some(t) = tag {
            put(&mut m, "tags", vec![t]);
        }
        put(&mut m, "external_id", cat(&["ERP-P", &num(i as u64, 5)]));
        m
    }

    /// Activity i: calls, mails, meetings, visits, tasks and notes over the last two years and
    /// the next 30 days, in office hours (China time).
    pub fn activity(
        &mut self,
        i: usize,
        account: Option<Uuid>,
        contact: Option<Uuid>,
        opportunity: Option<Uuid>,
        now: DateTime<Utc>,
    ) -> Map<String, Json> {
        self.start(KIND_ACTIVITY, i);
        let rng = &mut self.rng;
        let mut m = Record::new();
        let now_local = china_time(now);
        let kind = *weighted(rng, ACTIVITY_TYPES);
        let offset = rng.gen_range(-730..=30i64);
        let date = office_day(rng, add_days(now_local.date(), offset));
        let (start_min, duration): (i64, Option<i64>) = match kind {
            "call" => (
                rng.gen_range(9 * 60..18 * 60) / 5 * 5,
                Some(rng.gen_range(2..=30)),
            ),
            "meeting" => (rng.gen_range(18..35) * 30, Some(rng.gen_range(2..=8) * 15)),
            "visit" => (rng.gen_range(18..32) * 30, Some(rng.gen_range(4..=16) * 15)),
            _ => (rng.gen_range(8 * 60 + 30..19 * 60), None),
        };
        let start = at_minute(date, start_min);
        let past = start <= now_local;
        let subject = match kind {
            "call" => pick(rng, CALL_SUBJECTS),
            "email" => pick(rng, EMAIL_SUBJECTS),
            "meeting" => pick(rng, MEETING_SUBJECTS),
            "visit" => pick(rng, VISIT_SUBJECTS),
            "task" => pick(rng, TASK_SUBJECTS),
            _ => pick(rng, NOTE_SUBJECTS),
        };
        put(&mut m, "subject", *subject);
        put(&mut m, "type", kind);
        let channel = match kind {
            "call" if chance(rng, 12) => Some("wechat"),
            "call" => Some("phone"),
            "email" => Some("email"),
            "meeting" if chance(rng, 50) => Some("video"),
            "meeting" | "visit" => Some("in_person"),
            "note" if chance(rng, 40) => Some("wechat"),
            _ => None,
        };
        if let Some(c) = channel {
            put(&mut m, "channel", c);
        }
        let direction = match kind {
            "call" if chance(rng, 30) => "inbound",
            "email" if chance(rng, 40) => "inbound",
            "call" | "email" | "meeting" | "visit" => "outbound",
            _ => "internal",
        };
        put(&mut m, "direction", direction);
        let status = if !past {
            if chance(rng, 3) { "cancelled" } else { "planned" }
        } else {
            match rng.gen_range(0..100u32) {
                0..=3 => "cancelled",
                4..=7 if kind == "task" => "planned",
                _ => "completed",
            }
        };
        put(&mut m, "status", status);
        if status == "completed" {
            let outcome = match kind {
                "call" => Some(*weighted(rng, CALL_OUTCOMES)),
                "meeting" | "visit" | "email" => Some(*weighted(rng, MEETING_OUTCOMES)),
                "task" => Some("completed"),
                _ => None,
            };
            if let Some(o) = outcome {
                put(&mut m, "outcome", o);
            }
        }
        put(&mut m, "priority", *weighted(rng, PRIORITIES));
        put(&mut m, "starts_at", fmt_china(start));
        if let Some(d) = duration {
            if kind == "meeting" || kind == "visit" {
                put(&mut m, "ends_at", fmt_china(add_minutes(start, d)));
            }
            let d = if kind == "call" && m.get("outcome").and_then(Json::as_str) == Some("no_answer") {
                1
            } else {
                d
            };
            put(&mut m, "duration_minutes", d);
        }
        if kind == "task" {
            put(&mut m, "due_date", fmt_date(add_days(date, rng.gen_range(0..=7))));
        }
        if let Some(a) = account {
            put(&mut m, "account", id_text(a));
        }
        if let Some(c) = contact {
            put(&mut m, "contact", id_text(c));
        }
        if let Some(o) = opportunity {
            put(&mut m, "opportunity", id_text(o));
        }
        if kind == "visit" {
            let city = match account {
                Some(a) => {
                    let v = a.as_u128();
                    weighted_city_by(splitmix(v as u64 ^ (v >> 64) as u64))
                }
                None => weighted_city(rng),
            };
            let (_, address) = cn_address(rng, city);
            put(&mut m, "location", cat(&[city.name, &address]));
        } else if kind == "meeting" && channel == Some("in_person") {
            put(&mut m, "location", *pick(rng, MEETING_ROOMS));
        }
        if chance(rng, 30) {
            put(&mut m, "description", *pick(rng, ACTIVITY_DESCRIPTIONS));
        }
        put(&mut m, "external_id", cat(&["ERP-ACT", &num(i as u64, 9)]));
        m
    }

    /// Case i: a support ticket opened in the last two years (open ones recently).
    pub fn case(
        &mut self,
        i: usize,
        account: Option<Uuid>,
        contact: Option<Uuid>,
        product: Option<Uuid>,
        now: DateTime<Utc>,
    ) -> Map<String, Json> {
        self.start(KIND_CASE, i);
        let rng = &mut self.rng;
        let mut m = Record::new();
        let now_local = china_time(now);
        let (subject, kind, bias, description, resolution) = *pick(rng, CASES);
        put(&mut m, "subject", subject);
        if let Some(a) = account {
            put(&mut m, "account", id_text(a));
        }
        if let Some(c) = contact {
            put(&mut m, "contact", id_text(c));
        }
        if let Some(p) = product {
            put(&mut m, "product", id_text(p));
        }
        let status = *weighted(rng, CASE_STATUS);
        let done = status == "resolved" || status == "closed";
        put(&mut m, "status", status);
        let priority = match (bias, rng.gen_range(0..100u32)) {
            (_, 0..=4) => "urgent",
            (1, 5..=44) | (0, 5..=19) => "high",
            (1, _) | (0, 20..=74) => "medium",
            _ => "low",
        };
        let priority = if status == "escalated" && priority != "urgent" {
            "high"
        } else {
            priority
        };
        put(&mut m, "priority", priority);
        put(&mut m, "type", kind);
        put(&mut m, "origin", *weighted(rng, CASE_ORIGINS));
        let back = if done {
            rng.gen_range(-720..=-1i64)
        } else {
            rng.gen_range(-45..=0i64)
        };
        let day = office_day(rng, add_days(now_local.date(), back));
        let mut opened = at_minute(day, rng.gen_range(8 * 60..20 * 60));
        if opened > now_local {
            opened = add_minutes(now_local, -rng.gen_range(10..240));
        }
        let sla_hours = match priority {
            "urgent" => 4,
            "high" => 24,
            "medium" => 72,
            _ => 168,
        };
        put(&mut m, "due_at", fmt_china(add_minutes(opened, sla_hours * 60)));
        if done {
            let mut closed = add_minutes(opened, rng.gen_range(30..=14 * 24 * 60));
            if closed > now_local {
                closed = now_local;
            }
            put(&mut m, "closed_at", fmt_china(closed));
            put(&mut m, "resolution", resolution);
            // How it went: some waited on the customer or came back; most customers were
            // asked, and about half of them answered.
            if chance(rng, 25) {
                put(&mut m, "wait_count", rng.gen_range(1..=2i64));
            }
            if chance(rng, 8) {
                put(&mut m, "reopen_count", 1i64);
            }
            if chance(rng, 85) {
                put(&mut m, "survey_sent_at", fmt_china(closed));
                if chance(rng, 55) {
                    let answered = add_minutes(closed, rng.gen_range(10..=3 * 24 * 60)).min(now_local);
                    put(&mut m, "survey_answered_at", fmt_china(answered));
                    let csat = *weighted(rng, &[(5i64, 40), (4, 30), (3, 15), (2, 10), (1, 5)]);
                    put(&mut m, "csat", csat);
                    let nps = match csat {
                        5 => rng.gen_range(8..=10i64),
                        4 => rng.gen_range(6..=9i64),
                        3 => rng.gen_range(4..=7i64),
                        _ => rng.gen_range(0..=5i64),
                    };
                    put(&mut m, "nps", nps);
                    if csat <= 2 && chance(rng, 70) {
                        put(
                            &mut m,
                            "survey_comment",
                            *pick(
                                rng,
                                &[
                                    "响应太慢，等了很久才有人联系。",
                                    "问题反复出现，希望彻底解决。",
                                    "工程师迟到，沟通不够。",
                                ],
                            ),
                        );
                    } else if csat == 5 && chance(rng, 40) {
                        put(
                            &mut m,
                            "survey_comment",
                            *pick(
                                rng,
                                &[
                                    "工程师很专业，处理及时。",
                                    "服务态度好，点赞！",
                                    "解决得很快，谢谢。",
                                ],
                            ),
                        );
                    }
                }
            }
            // A complaint closes only with its root cause and closing summary.
            if kind == "complaint" {
                let cause = if subject.contains("发货") {
                    "delivery"
                } else {
                    "service_error"
                };
                put(&mut m, "root_cause", cause);
                put(
                    &mut m,
                    "closing_summary",
                    cat(&["已回访客户确认满意。", resolution]),
                );
            }
        }
        put(&mut m, "description", description);
        if kind == "complaint" && chance(rng, 60) {
            put(&mut m, "tags", vec!["客诉", "需回访"]);
        }
        put(&mut m, "external_id", cat(&["ERP-CS", &num(i as u64, 8)]));
        m
    }
}

impl Generator {
    /// The costs of serving case `i` (one that ended on `closed_on`): the engineer's time,
    /// often parts (one of `parts`), sometimes travel.
    pub fn service_costs(
        &mut self,
        i: usize,
        case: Uuid,
        closed_on: &str,
        parts: &[Uuid],
    ) -> Vec<Map<String, Json>> {
        self.start(KIND_SERVICE_COST, i);
        let rng = &mut self.rng;
        let mut out = Vec::new();
        let line = |kind: &str, description: &str, cents: i64| {
            let mut m = Record::new();
            put(&mut m, "case", id_text(case));
            put(&mut m, "kind", kind);
            put(&mut m, "description", description);
            put(&mut m, "spent_on", closed_on);
            put(&mut m, "amount", money_obj(cents, "CNY"));
            m
        };
        let minutes: i64 = rng.gen_range(1..=16) * 30;
        let visit = *pick(rng, &["远程诊断", "上门检修", "电话指导", "现场调试"]);
        let mut labour = line("labour", visit, minutes * 150 * 100 / 60);
        put(&mut labour, "minutes", minutes);
        out.push(labour);
        if !parts.is_empty() && chance(rng, 40) {
            let quantity: i64 = rng.gen_range(1..=4);
            let mut p = line("parts", "更换备件", quantity * rng.gen_range(2..=120) * 10_000);
            put(&mut p, "part", id_text(*pick(rng, parts)));
            put(&mut p, "quantity", quantity.to_string());
            out.push(p);
        }
        if chance(rng, 30) {
            out.push(line("travel", "差旅交通", rng.gen_range(10..=80) * 1_000));
        }
        out
    }
}

// ---------------------------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------------------------

fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn put(m: &mut Record, key: &str, value: impl Into<Json>) {
    m.insert(key.to_owned(), value.into());
}

/// Uniform choice from a non-empty constant slice.
fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.gen_range(0..items.len())]
}

/// Weighted choice from a non-empty constant slice of `(item, weight)`.
fn weighted<'a, T>(rng: &mut StdRng, items: &'a [(T, u32)]) -> &'a T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    weighted_at(items, rng.gen_range(0..total.max(1)))
}

fn weighted_at<T>(items: &[(T, u32)], mut x: u32) -> &T {
    for (item, w) in items {
        if x < *w {
            return item;
        }
        x -= w;
    }
    &items[items.len() - 1].0
}

fn weighted3<'a>(rng: &mut StdRng, items: &'a [(&'a str, &'a str, u32)]) -> (&'a str, &'a str) {
    let t = weighted_triple(rng, items);
    (t.0, t.1)
}

fn chance(rng: &mut StdRng, percent: u32) -> bool {
    rng.gen_range(0..100u32) < percent
}

/// With probability `percent`, one to `max` distinct tags.
fn pick_tags(rng: &mut StdRng, from: &[&'static str], percent: u32, max: usize) -> Vec<&'static str> {
    let mut tags = Vec::new();
    if chance(rng, percent) {
        let n = rng.gen_range(1..=max);
        for _ in 0..n {
            let t = *pick(rng, from);
            if !tags.contains(&t) {
                tags.push(t);
            }
        }
    }
    tags
}

/// Concatenates pieces into one exactly-sized string: much cheaper than `format!` on the hot
/// paths of bulk generation.
fn cat(parts: &[&str]) -> String {
    let mut s = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        s.push_str(p);
    }
    s
}

/// The decimal digits of a number, zero-padded to a width, without allocating.
struct Digits {
    buf: [u8; 20],
    start: usize,
}

fn num(mut n: u64, width: usize) -> Digits {
    let mut buf = [b'0'; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 || i == 0 {
            break;
        }
    }
    Digits {
        buf,
        start: i.min(buf.len().saturating_sub(width)),
    }
}

impl std::ops::Deref for Digits {
    type Target = str;
    fn deref(&self) -> &str {
        std::str::from_utf8(&self.buf[self.start..]).unwrap_or("0")
    }
}

/// The canonical text of an id, allocated once.
fn id_text(id: Uuid) -> String {
    let mut buf = [0u8; 36];
    String::from(&*id.hyphenated().encode_lower(&mut buf))
}

fn money(cents: i64) -> String {
    let cents = cents.unsigned_abs();
    cat(&[&num(cents / 100, 1), ".", &num(cents % 100, 2)])
}

fn money_obj(cents: i64, currency: &str) -> Json {
    let mut o = Map::new();
    o.insert("amount".to_owned(), Json::String(money(cents)));
    o.insert("currency".to_owned(), Json::String(currency.to_owned()));
    Json::Object(o)
}

fn city_total() -> u32 {
    CITIES.iter().map(|c| c.weight).sum()
}

fn city_at(mut x: u32) -> &'static City {
    for c in CITIES {
        if x < c.weight {
            return c;
        }
        x -= c.weight;
    }
    &CITIES[CITIES.len() - 1]
}

fn weighted_city(rng: &mut StdRng) -> &'static City {
    city_at(rng.gen_range(0..city_total().max(1)))
}

fn weighted_city_by(h: u64) -> &'static City {
    city_at((h % u64::from(city_total().max(1))) as u32)
}

/// District and street address, e.g. ("工业园区", "工业园区星湖街 328 号").
fn cn_address(rng: &mut StdRng, city: &City) -> (&'static str, String) {
    let district = *pick(rng, city.districts);
    let street = *pick(rng, STREETS);
    let no = num(rng.gen_range(1..=999), 1);
    let address = match rng.gen_range(0..10u32) {
        0..=4 => cat(&[district, street, " ", &no, " 号"]),
        5..=6 => {
            let (building, floor, room) = (
                rng.gen_range(1..=12),
                rng.gen_range(1..=28),
                rng.gen_range(1..=20),
            );
            let (building, floor, room) = (num(building, 1), num(floor, 1), num(room, 2));
            cat(&[
                district, street, " ", &no, " 号 ", &building, " 号楼 ", &floor, &room, " 室",
            ])
        }
        7 => {
            let tower = *pick(rng, &["A", "B", "C", "D"]);
            cat(&[
                district,
                street,
                " ",
                &no,
                " 号 ",
                tower,
                " 座 ",
                &num(rng.gen_range(2..=30), 1),
                " 层",
            ])
        }
        _ => cat(&[
            district,
            street,
            " ",
            &no,
            " 号 ",
            &num(rng.gen_range(1..=9), 1),
            " 号厂房",
        ]),
    };
    (district, address)
}

/// Region, country, province, city, district, address, postal code and phone of a company
/// located in `city`.
fn put_cn_location(rng: &mut StdRng, m: &mut Record, city: &City) {
    put(m, "region", city.region);
    put(m, "country", if chance(rng, 90) { "中国" } else { "China" });
    put(m, "province", city.province);
    put(m, "city", city.name);
    let (district, address) = cn_address(rng, city);
    put(m, "district", district);
    put(m, "address", address);
    put(
        m,
        "postal_code",
        String::from(&*num(u64::from(city.postal) + rng.gen_range(0..100), 6)),
    );
    put(m, "phone", landline(rng, city));
    if chance(rng, 20) {
        put(m, "fax", landline(rng, city));
    }
}

/// A landline in `city`, written in one of the usual ways ("0512-6288 1234").
fn landline(rng: &mut StdRng, city: &City) -> String {
    let area = city.area;
    let bare = area.trim_start_matches('0');
    let first: u64 = rng.gen_range(5..=7);
    let a = if city.local_len == 8 {
        num(first * 1000 + rng.gen_range(0..1000), 4)
    } else {
        num(first * 100 + rng.gen_range(0..100), 3)
    };
    let b = num(rng.gen_range(0..10000), 4);
    match rng.gen_range(0..10u32) {
        0..=4 if city.local_len == 8 => cat(&[area, "-", &a, " ", &b]),
        0..=6 => cat(&[area, "-", &a, &b]),
        7..=8 => cat(&["(", area, ") ", &a, "-", &b]),
        _ => cat(&["+86 ", bare, " ", &a, " ", &b]),
    }
}

/// A Chinese mobile number in one of the many ways people write them.
fn mobile(rng: &mut StdRng) -> String {
    let p = num(u64::from(*pick(rng, MOBILE_PREFIXES)), 3);
    let (a, b) = (num(rng.gen_range(0..10000), 4), num(rng.gen_range(0..10000), 4));
    match rng.gen_range(0..100u32) {
        0..=39 => cat(&[&p, &a, &b]),
        40..=59 => cat(&[&p, " ", &a, " ", &b]),
        60..=69 => cat(&[&p, "-", &a, "-", &b]),
        70..=77 => cat(&["+86 ", &p, "-", &a, "-", &b]),
        78..=85 => cat(&["+86", &p, &a, &b]),
        86..=92 => cat(&["+86 ", &p, " ", &a, " ", &b]),
        93..=95 => cat(&["0086 ", &p, &a, &b]),
        96..=98 => cat(&["(+86)", &p, &a, &b]),
        _ => cat(&[&p, &a, &b])
            .chars()
            .map(|c| {
                c.to_digit(10)
                    .and_then(|d| char::from_u32('０' as u32 + d))
                    .unwrap_or(c)
            })
            .collect(),
    }
}

/// A phone number in one of the `OVERSEAS` places (index `which`).
fn foreign_phone(rng: &mut StdRng, which: usize) -> String {
    let (a, b) = (rng.gen_range(0..1000u32), rng.gen_range(0..10000u32));
    match which {
        0 => format!("+65 6{}{:02} {b:04}", rng.gen_range(2..=5u32), a % 100),
        1 => format!("+49 40 {} {b:04}", rng.gen_range(3000..9000u32)),
        2 => format!(
            "+1 (213) {}{}-{b:04}",
            rng.gen_range(2..=9u32),
            rng.gen_range(20..=99u32)
        ),
        3 => format!("+81 6-6{a:03}-{b:04}"),
        4 => format!("+84 28 3{a:03} {b:04}"),
        5 => format!("+971 4 {} {b:04}", rng.gen_range(200..900u32)),
        _ => format!("+60 3-21{:02} {b:04}", a % 100),
    }
}

/// A mobile number in one of the `OVERSEAS` places (index `which`).
fn foreign_mobile(rng: &mut StdRng, which: usize) -> String {
    let (a, b) = (rng.gen_range(0..1000u32), rng.gen_range(0..10000u32));
    match which {
        0 => format!("+65 9{}{:02} {b:04}", rng.gen_range(1..=8u32), a % 100),
        1 => format!("+49 17{} {a:03}{b:04}", a % 9),
        2 => format!(
            "+1 (213) {}{}-{b:04}",
            rng.gen_range(2..=9u32),
            rng.gen_range(20..=99u32)
        ),
        3 => format!("+81 90-{}{a:03}-{b:04}", rng.gen_range(1..=9u32)),
        4 => format!("+84 90 {a:03} {b:04}"),
        5 => format!("+971 50 {a:03} {b:04}"),
        _ => format!("+60 19-{a:03} {b:04}"),
    }
}

fn company_domain(h: u64) -> String {
    CnCompany::from_hash(h).domain(h >> 56)
}

/// A Chinese company: city, two brand syllables, trade word, legal suffix.
struct CnCompany {
    city: &'static City,
    b1: usize,
    b2: usize,
    trade: usize,
}

impl CnCompany {
    fn random(rng: &mut StdRng) -> Self {
        let b1 = rng.gen_range(0..BRAND.len());
        let mut b2 = rng.gen_range(0..BRAND.len());
        if b2 == b1 {
            b2 = (b2 + 1) % BRAND.len();
        }
        CnCompany {
            city: weighted_city(rng),
            b1,
            b2,
            trade: rng.gen_range(0..TRADES.len()),
        }
    }

    fn from_hash(h: u64) -> Self {
        let n = BRAND.len() as u64;
        let b1 = (h % n) as usize;
        let mut b2 = ((h >> 12) % n) as usize;
        if b2 == b1 {
            b2 = (b2 + 1) % BRAND.len();
        }
        let trade = ((h >> 24) % TRADES.len() as u64) as usize;
        CnCompany {
            city: weighted_city_by(h >> 32),
            b1,
            b2,
            trade,
        }
    }

    fn trade(&self) -> &'static (&'static str, &'static str, &'static str, &'static str) {
        &TRADES[self.trade % TRADES.len()]
    }

    fn brand(
        &self,
    ) -> (
        &'static (&'static str, &'static str),
        &'static (&'static str, &'static str),
    ) {
        (&BRAND[self.b1 % BRAND.len()], &BRAND[self.b2 % BRAND.len()])
    }

    /// "苏州华通精密机械有限公司", sometimes "华通精密机械（苏州）有限公司".
    fn legal_name(&self, rng: &mut StdRng) -> String {
        let (b1, b2) = self.brand();
        let suffix = *weighted(rng, LEGAL_SUFFIXES);
        let trade = self.trade().0;
        if chance(rng, 15) {
            cat(&[b1.0, b2.0, trade, "（", self.city.name, "）", suffix])
        } else {
            cat(&[self.city.name, b1.0, b2.0, trade, suffix])
        }
    }

    /// "华通精密".
    fn short_name(&self) -> String {
        let (b1, b2) = self.brand();
        cat(&[b1.0, b2.0, self.trade().1])
    }

    /// "huatong-jm.com", "huatong.com.cn" or "htjm.cn", chosen by `style`.
    fn domain(&self, style: u64) -> String {
        let (b1, b2) = self.brand();
        let slug = self.trade().2;
        let tld = TLDS[(style >> 3) as usize % TLDS.len()];
        match style % 4 {
            0 | 1 => cat(&[b1.1, b2.1, "-", slug, ".", tld]),
            2 => cat(&[b1.1, b2.1, ".", tld]),
            _ => cat(&[&b1.1[..1], &b2.1[..1], slug, ".", tld]),
        }
    }
}

/// A person's name and the romanisations mail addresses are made of.
struct Person {
    name: String,
    chinese: bool,
    male: bool,
    /// Pinyin surname (Chinese) or lower-case last name.
    family: Cow<'static, str>,
    /// Pinyin of the given name (Chinese) or lower-case first name.
    given: Cow<'static, str>,
    /// Initials of the given name's syllables.
    initials: Cow<'static, str>,
    /// English first name used by a Chinese person, or the person's own.
    english_first: Option<&'static str>,
}

impl Person {
    /// A Chinese person with probability `chinese_percent`, else an English-named one.
    fn random(rng: &mut StdRng, chinese_percent: u32) -> Self {
        let male = chance(rng, 58);
        if chance(rng, chinese_percent) {
            let (surname, family, _) = *weighted_triple(rng, SURNAMES);
            let pool = if male { GIVEN_MALE } else { GIVEN_FEMALE };
            let (c1, py1) = *pick(rng, pool);
            let (name, given, initials) = if chance(rng, 35) {
                (cat(&[surname, c1]), Cow::Borrowed(py1), Cow::Borrowed(&py1[..1]))
            } else {
                // Reduplicated names such as 婷婷 are common, so repeats stay.
                let (c2, py2) = *pick(rng, pool);
                (
                    cat(&[surname, c1, c2]),
                    Cow::Owned(cat(&[py1, py2])),
                    Cow::Owned(cat(&[&py1[..1], &py2[..1]])),
                )
            };
            let english_first = if chance(rng, 18) {
                Some(*pick(rng, if male { EN_MALE } else { EN_FEMALE }))
            } else {
                None
            };
            Person {
                name,
                chinese: true,
                male,
                family: Cow::Borrowed(family),
                given,
                initials,
                english_first,
            }
        } else {
            let first = *pick(rng, if male { EN_MALE } else { EN_FEMALE });
            let last = *pick(rng, EN_LAST);
            Person {
                name: cat(&[first, " ", last]),
                chinese: false,
                male,
                family: Cow::Owned(last.to_ascii_lowercase()),
                given: Cow::Owned(first.to_ascii_lowercase()),
                initials: Cow::Owned(first[..1].to_ascii_lowercase()),
                english_first: Some(first),
            }
        }
    }

    /// "Kevin Zhang" for a Chinese person who uses an English name.
    fn english_name(&self) -> Option<String> {
        if !self.chinese {
            return None;
        }
        let first = self.english_first?;
        let mut name = cat(&[first, " ", &self.family]);
        if let Some(c) = name.get_mut(first.len() + 1..first.len() + 2) {
            c.make_ascii_uppercase();
        }
        Some(name)
    }

    fn work_email(&self, rng: &mut StdRng, domain: &str) -> String {
        let (f, g) = (&self.family, &self.given);
        if let Some(en) = self.english_first.filter(|_| self.chinese && chance(rng, 50)) {
            return format!("{}.{f}@{domain}", en.to_ascii_lowercase());
        }
        match rng.gen_range(0..10u32) {
            0..=3 => cat(&[f, ".", g, "@", domain]),
            4..=5 => cat(&[f, g, "@", domain]),
            6 => cat(&[g, ".", f, "@", domain]),
            7 => cat(&[f, &self.initials, "@", domain]),
            8 => cat(&[&self.initials, f, "@", domain]),
            _ => format!("{f}.{g}{}@{domain}", rng.gen_range(1..100u32)),
        }
    }

    fn personal_email(&self, rng: &mut StdRng) -> String {
        let host = *weighted(rng, PERSONAL_MAIL);
        if host == "qq.com" || host == "139.com" {
            let digits = if host == "139.com" {
                13_800_000_000 + rng.gen_range(0..199_999_999u64)
            } else {
                rng.gen_range(10_000..3_999_999_999u64)
            };
            return format!("{digits}@{host}");
        }
        let (f, g) = (&self.family, &self.given);
        match rng.gen_range(0..4u32) {
            0 => cat(&[f, g, "@", host]),
            1 => format!("{f}{g}{}@{host}", rng.gen_range(1970..2002u32)),
            2 => format!("{f}_{g}{}@{host}", rng.gen_range(1..1000u32)),
            _ => cat(&[g, ".", f, "@", host]),
        }
    }

    fn wechat(&self, rng: &mut StdRng) -> String {
        match rng.gen_range(0..4u32) {
            0 => {
                const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
                let mut s = String::with_capacity(19);
                s.push_str("wxid_");
                for _ in 0..14 {
                    s.push(char::from(*pick(rng, ALPHABET)));
                }
                s
            }
            1 => format!("{}{}_{}", self.family, self.given, rng.gen_range(1970..2002u32)),
            2 => format!("{}{}{}", self.family, self.initials, rng.gen_range(100..10000u32)),
            _ => format!(
                "{}{:08}",
                pick(rng, MOBILE_PREFIXES),
                rng.gen_range(0..100_000_000u32)
            ),
        }
    }
}

fn weighted_triple<'a>(
    rng: &mut StdRng,
    items: &'a [(&'a str, &'a str, u32)],
) -> &'a (&'a str, &'a str, u32) {
    let total: u32 = items.iter().map(|t| t.2).sum();
    let mut x = rng.gen_range(0..total.max(1));
    for t in items {
        if x < t.2 {
            return t;
        }
        x -= t.2;
    }
    &items[items.len() - 1]
}

// Time -----------------------------------------------------------------------------------------

/// `now` as a wall-clock time in China (UTC+8).
fn china_time(now: DateTime<Utc>) -> NaiveDateTime {
    let utc = now.naive_utc();
    utc.checked_add_signed(TimeDelta::hours(8)).unwrap_or(utc)
}

fn add_days(d: NaiveDate, days: i64) -> NaiveDate {
    d.checked_add_signed(TimeDelta::days(days)).unwrap_or(d)
}

fn add_minutes(t: NaiveDateTime, minutes: i64) -> NaiveDateTime {
    t.checked_add_signed(TimeDelta::minutes(minutes)).unwrap_or(t)
}

fn at_minute(d: NaiveDate, minute_of_day: i64) -> NaiveDateTime {
    add_minutes(d.and_time(chrono::NaiveTime::MIN), minute_of_day)
}

/// Moves most weekend days to the nearest working day.
fn office_day(rng: &mut StdRng, d: NaiveDate) -> NaiveDate {
    match d.weekday() {
        Weekday::Sat if chance(rng, 90) => add_days(d, -1),
        Weekday::Sun if chance(rng, 90) => add_days(d, 1),
        _ => d,
    }
}

fn days_in_month(y: u64, m: u64) -> u64 {
    match m {
        2 if (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn fmt_date(d: NaiveDate) -> String {
    let (y, m, d) = (d.year().unsigned_abs(), d.month(), d.day());
    cat(&[&num(y.into(), 4), "-", &num(m.into(), 2), "-", &num(d.into(), 2)])
}

/// RFC 3339 with the China offset: "2025-03-04T09:30:00+08:00".
fn fmt_china(t: NaiveDateTime) -> String {
    let (y, mo, d) = (t.year().unsigned_abs(), t.month(), t.day());
    let (h, mi, sec) = (t.hour(), t.minute(), t.second());
    let (mo, d, h, mi, sec) = (
        num(mo.into(), 2),
        num(d.into(), 2),
        num(h.into(), 2),
        num(mi.into(), 2),
        num(sec.into(), 2),
    );
    cat(&[
        &num(y.into(), 4),
        "-",
        &mo,
        "-",
        &d,
        "T",
        &h,
        ":",
        &mi,
        ":",
        &sec,
        "+08:00",
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use guanxi_core::builtin::standard_objects;
    use guanxi_core::metadata::ObjectDef;
    use guanxi_core::values::{ParseContext, Value, parse_input};
    use std::collections::{HashMap, HashSet};

    fn object(name: &str) -> ObjectDef {
        standard_objects()
            .into_iter()
            .find(|o| o.name == name)
            .expect("standard object")
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-05-09T07:30:00Z")
            .expect("now")
            .with_timezone(&Utc)
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 5, 9).expect("today")
    }

    fn ids(n: u128) -> Uuid {
        Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 | n)
    }

    /// Every key is a writable field of `object`, every value parses to a non-null value, and
    /// required fields are present. Returns the parsed records.
    fn check(object_name: &str, records: &[Record]) -> Vec<HashMap<String, Value>> {
        let o = object(object_name);
        let ctx = ParseContext::default();
        let mut out = Vec::new();
        for (i, r) in records.iter().enumerate() {
            let mut parsed = HashMap::new();
            for (k, v) in r {
                let f = o
                    .field(k)
                    .unwrap_or_else(|| panic!("{object_name}.{k} is not a field"));
                assert!(!f.system, "{object_name}.{k} is a system field");
                let value = parse_input(f, v, &ctx)
                    .unwrap_or_else(|e| panic!("{object_name} #{i}: {k} = {v}: {:?} {:?}", e.msg, e.args));
                assert!(!value.is_null(), "{object_name} #{i}: {k} is empty ({v})");
                if let (Some(s), guanxi_core::FieldType::Email) = (v.as_str(), f.field_type) {
                    assert!(s.is_ascii(), "{object_name} #{i}: {k} = {s} is ASCII");
                }
                parsed.insert(k.clone(), value);
            }
            for f in o.fields.iter().filter(|f| f.required && !f.system) {
                assert!(
                    r.contains_key(&f.name),
                    "{object_name} #{i}: required {} is missing",
                    f.name
                );
            }
            out.push(parsed);
        }
        out
    }

    fn unique(records: &[Record], key: &str) {
        let mut seen = HashSet::new();
        for r in records {
            if let Some(v) = r.get(key) {
                assert!(seen.insert(v.to_string()), "{key} {v} is duplicated");
            }
        }
    }

    fn text<'a>(r: &'a Record, key: &str) -> Option<&'a str> {
        r.get(key).and_then(Json::as_str)
    }

    fn region_of(province: &str) -> &'static str {
        match province {
            "上海" | "江苏" | "浙江" | "安徽" | "福建" | "江西" | "山东" => "east",
            "北京" | "天津" | "河北" | "山西" | "内蒙古" => "north",
            "广东" | "广西" | "海南" => "south",
            "河南" | "湖北" | "湖南" => "central",
            "重庆" | "四川" | "贵州" | "云南" | "西藏" => "southwest",
            "陕西" | "甘肃" | "青海" | "宁夏" | "新疆" => "northwest",
            "辽宁" | "吉林" | "黑龙江" => "northeast",
            other => panic!("unknown province {other}"),
        }
    }

    #[test]
    fn accounts_are_valid_unique_and_located() {
        let mut g = Generator::new(7);
        let records: Vec<_> = (0..5000).map(|i| g.account(i)).collect();
        let parsed = check("account", &records);
        unique(&records, "code");
        unique(&records, "external_id");
        let mut overseas = 0;
        let mut english = 0;
        for (r, p) in records.iter().zip(&parsed) {
            let region = text(r, "region").expect("region");
            match text(r, "province") {
                Some(province) => {
                    assert_eq!(region, region_of(province), "{r:?}");
                    let city = CITIES
                        .iter()
                        .find(|c| Some(c.name) == text(r, "city"))
                        .expect("known city");
                    assert_eq!(city.province, province);
                    // The landline carries the city's area code.
                    let Some(Value::Text(phone)) = p.get("phone") else {
                        panic!("phone in {r:?}")
                    };
                    let prefix = format!("+86{}", city.area.trim_start_matches('0'));
                    assert!(phone.starts_with(&prefix), "{phone} in {}", city.name);
                    assert!(
                        text(r, "address")
                            .expect("address")
                            .starts_with(text(r, "district").expect("district"))
                    );
                }
                None => {
                    assert_eq!(region, "overseas");
                    overseas += 1;
                }
            }
            if text(r, "name").is_some_and(|n| n.is_ascii()) {
                english += 1;
            }
        }
        assert!(overseas > 100 && overseas < 500, "{overseas} overseas");
        assert!(english > 300 && english < 1000, "{english} English-named");
    }

    #[test]
    fn contacts_are_valid() {
        let mut g = Generator::new(11);
        let records: Vec<_> = (0..5000)
            .map(|i| {
                g.contact(
                    i,
                    if i % 3 == 0 {
                        None
                    } else {
                        Some(ids(i as u128 / 4))
                    },
                )
            })
            .collect();
        let parsed = check("contact", &records);
        unique(&records, "external_id");
        let mut messy = 0;
        for (r, p) in records.iter().zip(&parsed) {
            let Some(Value::Text(m)) = p.get("mobile") else {
                panic!("mobile in {r:?}")
            };
            assert!(m.starts_with('+'), "{m}");
            if text(r, "mobile") != Some(m.as_str()) {
                messy += 1;
            }
            if let Some(c) = text(r, "city") {
                let city = CITIES.iter().find(|x| x.name == c).expect("known city");
                assert_eq!(Some(city.province), text(r, "province"));
            }
        }
        assert!(messy > 2000, "mobiles are written in varied ways");
        // Contacts of one account share a mail domain most of the time.
        let with_account: Vec<_> = records.iter().filter(|r| r.contains_key("account")).collect();
        assert!(with_account.len() > 3000);
    }

    #[test]
    fn leads_are_valid() {
        let mut g = Generator::new(13);
        let records: Vec<_> = (0..5000).map(|i| g.lead(i)).collect();
        check("lead", &records);
        unique(&records, "external_id");
        for r in &records {
            let province = text(r, "province").expect("province");
            assert_eq!(text(r, "region"), Some(region_of(province)));
            assert_ne!(text(r, "status"), Some("converted"));
        }
    }

    #[test]
    fn opportunities_are_valid_and_consistent() {
        let mut g = Generator::new(17);
        let records: Vec<_> = (0..5000)
            .map(|i| {
                g.opportunity(
                    i,
                    ids(i as u128 / 3),
                    (i % 2 == 0).then(|| ids(10_000 + i as u128)),
                    today(),
                )
            })
            .collect();
        let parsed = check("opportunity", &records);
        unique(&records, "external_id");
        let mut stages = HashSet::new();
        let mut processes = HashSet::new();
        let mut currencies = HashSet::new();
        for (r, p) in records.iter().zip(&parsed) {
            let stage = text(r, "stage").expect("stage");
            stages.insert(stage.to_string());
            // Each deal is at a stage of its process, at that stage's probability.
            let process = text(r, "process").expect("process");
            processes.insert(process.to_string());
            let (_, of) = PROCESSES
                .iter()
                .map(|p| p.0)
                .find(|p| p.0 == process)
                .expect("known process");
            let expected = of
                .iter()
                .find(|s| s.0.0 == stage)
                .map(|s| i64::from(s.0.1))
                .unwrap_or_else(|| panic!("{stage} is not a stage of {process}"));
            assert_eq!(r.get("probability").and_then(Json::as_i64), Some(expected));
            assert_eq!(stage == "closed_won", r.contains_key("win_reason"));
            assert!(p.get("stage_entered_at").is_some(), "{r:?}");
            let Some(Value::Date(close)) = p.get("close_date") else {
                panic!("close_date")
            };
            let closed = stage.starts_with("closed");
            assert_eq!(closed, *close < today(), "{r:?}");
            assert_eq!(!closed, r.contains_key("next_step"));
            assert_eq!(stage == "closed_lost", r.contains_key("loss_reason"));
            let Some(Value::Money { amount, currency }) = p.get("amount") else {
                panic!("amount")
            };
            assert!(*amount > rust_decimal::Decimal::ZERO, "{r:?}");
            currencies.insert(currency.clone());
        }
        assert_eq!(stages.len(), 6);
        assert_eq!(processes.len(), 3);
        assert_eq!(currencies.len(), 3, "{currencies:?}");
    }

    #[test]
    fn products_are_valid_and_unique() {
        let mut g = Generator::new(19);
        let n = Generator::products_len();
        assert!((25..=40).contains(&n));
        let records: Vec<_> = (0..n * 2).map(|i| g.product(i)).collect();
        check("product", &records);
        unique(&records, "code");
        unique(&records, "external_id");
        let families: HashSet<_> = records.iter().filter_map(|r| text(r, "family")).collect();
        assert_eq!(families.len(), 6);
        let taxes: HashSet<_> = records.iter().filter_map(|r| text(r, "tax_rate")).collect();
        assert_eq!(taxes, HashSet::from(["13.00", "9.00", "6.00"]));
    }

    #[test]
    fn activities_are_valid_and_timed() {
        let mut g = Generator::new(23);
        let records: Vec<_> = (0..8000)
            .map(|i| {
                let a = (i % 4 != 0).then(|| ids(i as u128 / 10));
                let c = (i % 5 != 0).then(|| ids(50_000 + i as u128 / 3));
                let o = (i % 3 == 0).then(|| ids(90_000 + i as u128 / 7));
                g.activity(i, a, c, o, now())
            })
            .collect();
        let parsed = check("activity", &records);
        unique(&records, "external_id");
        let earliest = now() - TimeDelta::days(732);
        let latest = now() + TimeDelta::days(32);
        let (mut past, mut future) = (0, 0);
        for (r, p) in records.iter().zip(&parsed) {
            let Some(Value::DateTime(start)) = p.get("starts_at") else {
                panic!("starts_at")
            };
            assert!(*start >= earliest && *start <= latest, "{r:?}");
            assert!(text(r, "starts_at").expect("starts_at").ends_with("+08:00"));
            let status = text(r, "status").expect("status");
            if *start > now() {
                future += 1;
                assert!(status == "planned" || status == "cancelled", "{r:?}");
                assert!(!r.contains_key("outcome"));
            } else {
                past += 1;
            }
            let kind = text(r, "type").expect("type");
            let channel = text(r, "channel");
            match kind {
                "call" => assert!(matches!(channel, Some("phone" | "wechat"))),
                "email" => assert_eq!(channel, Some("email")),
                "visit" => {
                    assert_eq!(channel, Some("in_person"));
                    assert!(r.contains_key("location"));
                }
                "meeting" => assert!(matches!(channel, Some("in_person" | "video"))),
                _ => {}
            }
            if kind == "meeting" || kind == "visit" {
                let Some(Value::DateTime(end)) = p.get("ends_at") else {
                    panic!("ends_at {r:?}")
                };
                assert!(end > start);
            } else {
                assert!(!r.contains_key("ends_at"));
            }
            assert_eq!(kind == "task", r.contains_key("due_date"));
        }
        assert!(past > 7000 && future > 100, "{past} past, {future} future");
    }

    #[test]
    fn cases_are_valid_and_timed() {
        let mut g = Generator::new(29);
        let records: Vec<_> = (0..5000)
            .map(|i| {
                let a = Some(ids(i as u128 / 5));
                let c = (i % 2 == 0).then(|| ids(1_000 + i as u128));
                let p = (i % 3 == 0).then(|| ids(2_000 + i as u128 % 30));
                g.case(i, a, c, p, now())
            })
            .collect();
        let parsed = check("case", &records);
        unique(&records, "external_id");
        let mut types = HashSet::new();
        for (r, p) in records.iter().zip(&parsed) {
            types.insert(text(r, "type").expect("type").to_string());
            let done = matches!(text(r, "status"), Some("resolved" | "closed"));
            assert_eq!(done, r.contains_key("closed_at"));
            assert_eq!(done, r.contains_key("resolution"));
            if let Some(Value::DateTime(closed)) = p.get("closed_at") {
                assert!(*closed <= now(), "{r:?}");
            }
        }
        assert!(types.contains("complaint"));
        assert_eq!(types.len(), 6);
    }

    #[test]
    fn same_seed_same_data_and_records_are_independent() {
        let run = |seed: u64, order: &[usize]| {
            let mut g = Generator::new(seed);
            let mut out = Vec::new();
            for &i in order {
                out.push((
                    i,
                    g.account(i),
                    g.contact(i, Some(ids(i as u128))),
                    g.lead(i),
                    g.opportunity(i, ids(i as u128), None, today()),
                    g.product(i % Generator::products_len()),
                    g.activity(i, Some(ids(1)), None, None, now()),
                    g.case(i, None, None, None, now()),
                ));
            }
            out.sort_by_key(|t| t.0);
            out
        };
        let forward: Vec<usize> = (0..300).collect();
        let backward: Vec<usize> = (0..300).rev().collect();
        assert_eq!(run(42, &forward), run(42, &forward));
        assert_eq!(run(42, &forward), run(42, &backward));
        assert_ne!(run(42, &forward), run(43, &forward));
    }

    /// `cargo test --release -p guanxi-services -- --ignored --nocapture generation_speed`
    #[test]
    #[ignore]
    fn generation_speed() {
        let mut g = Generator::new(1);
        let n = std::env::var("GUANXI_DEMO_BENCH_N")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(300_000);
        let started = std::time::Instant::now();
        let mut bytes = 0usize;
        for i in 0..n {
            bytes += g.contact(i, Some(ids(i as u128 / 5))).len();
        }
        let contacts = n as f64 / started.elapsed().as_secs_f64();
        let started = std::time::Instant::now();
        for i in 0..n {
            bytes += g
                .activity(
                    i,
                    Some(ids(i as u128 / 50)),
                    Some(ids(i as u128 / 10)),
                    None,
                    now(),
                )
                .len();
        }
        let activities = n as f64 / started.elapsed().as_secs_f64();
        let started = std::time::Instant::now();
        for i in 0..n {
            bytes += g.account(i).len();
        }
        let accounts = n as f64 / started.elapsed().as_secs_f64();
        println!(
            "{contacts:.0} contacts/s, {activities:.0} activities/s, {accounts:.0} accounts/s ({bytes})"
        );
    }
}
