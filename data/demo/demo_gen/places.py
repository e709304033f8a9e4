"""Vietnamese places used by the demo data: spelling variants, districts/wards, roads, landmarks, boxes."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class City:
    key: str
    vi: tuple[str, ...]  # ways people write the city in Vietnamese posts (abbreviations included)
    en: tuple[str, ...]
    tags: tuple[str, ...]
    districts: tuple[str, ...]
    districts_en: tuple[str, ...]
    wards: tuple[str, ...]
    roads: tuple[str, ...]
    landmarks: tuple[str, ...]
    bbox: tuple[float, float, float, float]  # west, south, east, north
    place_full: str  # X place full_name
    weight: float
    metro: tuple[str, ...] = ()
    metro_en: tuple[str, ...] = ()
    stations: tuple[str, ...] = ()
    hospitals: tuple[str, ...] = field(default=("bệnh viện đa khoa tỉnh",))


CITIES: dict[str, City] = {c.key: c for c in (
    City("hcm", ("Sài Gòn", "SG", "TP.HCM", "HCM", "TPHCM", "thành phố Hồ Chí Minh", "Sài Thành", "sg"),
         ("Saigon", "HCMC", "Ho Chi Minh City", "Saigon", "HCM"),
         ("#SaiGon", "#HCM", "#TPHCM", "#Saigon", "#HoChiMinhCity"),
         ("Q1", "Quận 1", "Q.1", "Q.7", "quận 7", "Bình Thạnh", "Thủ Đức", "Gò Vấp", "Tân Bình", "Phú Nhuận",
          "phường Bến Nghé", "Q.10", "Bình Tân", "Nhà Bè", "Q3", "quận 8", "Thảo Điền", "Tân Phú"),
         ("District 1", "D1", "District 7", "D7", "Binh Thanh", "Thu Duc", "Thao Dien", "Phu Nhuan", "Go Vap",
          "District 3", "Tan Binh"),
         ("Bến Nghé", "Sài Gòn", "Bến Thành", "Tân Định", "An Khánh", "Tân Mỹ", "Hạnh Thông", "Bình Thạnh"),
         ("Nguyễn Hữu Cảnh", "Điện Biên Phủ", "Xa lộ Hà Nội", "Cộng Hòa", "Trường Chinh", "Võ Văn Kiệt",
          "Nguyễn Văn Linh", "Huỳnh Tấn Phát", "Kinh Dương Vương", "Phạm Văn Đồng", "vòng xoay Lăng Cha Cả",
          "Lê Văn Việt", "Nguyễn Thị Minh Khai", "cầu Sài Gòn", "Quốc lộ 13"),
         ("phố đi bộ Nguyễn Huệ", "chợ Bến Thành", "Nhà thờ Đức Bà", "bến Bạch Đằng", "cầu Ba Son",
          "Landmark 81", "bán đảo Thủ Thiêm", "phố Tây Bùi Viện", "công viên Tao Đàn"),
         (106.55, 10.65, 106.87, 10.91), "Hồ Chí Minh City, Vietnam", 0.38,
         ("metro số 1", "tuyến metro Bến Thành – Suối Tiên", "metro", "metro Bến Thành - Suối Tiên"),
         ("Metro Line 1", "the Ben Thanh-Suoi Tien metro", "the metro"),
         ("Bến Thành", "Ba Son", "Văn Thánh", "Tân Cảng", "Thảo Điền", "An Phú", "Rạch Chiếc", "Thủ Đức",
          "Suối Tiên", "Bến xe Suối Tiên", "Nhà hát Thành phố"),
         ("bệnh viện Chợ Rẫy", "bệnh viện Nhi Đồng 1", "bệnh viện quận", "bệnh viện Thủ Đức")),
    City("hn", ("Hà Nội", "HN", "Hà Nội", "thủ đô", "Hà thành", "hn", "Ha Noi"),
         ("Hanoi", "Hanoi", "Ha Noi", "HN"),
         ("#HaNoi", "#Hanoi", "#HN"),
         ("Hoàn Kiếm", "quận Hoàn Kiếm", "Cầu Giấy", "Đống Đa", "Ba Đình", "Hà Đông", "Long Biên", "Thanh Xuân",
          "Hai Bà Trưng", "Tây Hồ", "Hoàng Mai", "Nam Từ Liêm", "Bắc Từ Liêm", "phường Hoàn Kiếm"),
         ("Hoan Kiem", "the Old Quarter", "Tay Ho", "Cau Giay", "Ba Dinh", "Dong Da", "Long Bien", "Ha Dong"),
         ("Hoàn Kiếm", "Cửa Nam", "Ba Đình", "Ngọc Hà", "Cầu Giấy", "Láng", "Đống Đa", "Hà Đông", "Tây Hồ"),
         ("Nguyễn Trãi", "Trường Chinh", "đường Láng", "Phạm Văn Đồng", "Xuân Thủy", "Kim Mã", "Giải Phóng",
          "vành đai 3", "Nguyễn Xiển", "Lê Văn Lương", "Tố Hữu", "Đại Cồ Việt", "cầu Chương Dương", "Khuất Duy Tiến"),
         ("Hồ Gươm", "phố đi bộ Hồ Gươm", "hồ Tây", "Văn Miếu", "phố cổ", "quảng trường Ba Đình", "cầu Long Biên",
          "sân vận động Mỹ Đình", "phố Hàng Mã", "Nhà hát Lớn"),
         (105.72, 20.95, 105.92, 21.10), "Hanoi, Vietnam", 0.32,
         ("tàu Cát Linh – Hà Đông", "metro Nhổn – ga Hà Nội", "đường sắt trên cao Cát Linh - Hà Đông", "tàu điện"),
         ("the Cat Linh-Ha Dong line", "the Nhon-Hanoi Station metro", "Hanoi's elevated metro"),
         ("Cát Linh", "La Thành", "Thái Hà", "Láng", "Thượng Đình", "Hà Đông", "Yên Nghĩa", "Nhổn", "Cầu Giấy",
          "Kim Mã"),
         ("bệnh viện Bạch Mai", "bệnh viện Nhi Trung ương", "bệnh viện quận", "bệnh viện Xanh Pôn")),
    City("dn", ("Đà Nẵng", "Da Nang", "ĐN", "Đà Nẵng", "đà nẵng"), ("Da Nang", "Danang", "Da Nang"),
         ("#DaNang", "#Danang"),
         ("Hải Châu", "Sơn Trà", "Ngũ Hành Sơn", "Liên Chiểu", "Thanh Khê", "Cẩm Lệ"),
         ("Hai Chau", "Son Tra", "My Khe", "An Thuong", "Ngu Hanh Son"),
         ("Hải Châu", "Hòa Cường", "Sơn Trà", "An Hải", "Ngũ Hành Sơn", "Thanh Khê"),
         ("Nguyễn Văn Linh", "Điện Biên Phủ", "Bạch Đằng", "Võ Nguyên Giáp", "Ngô Quyền", "cầu Rồng",
          "Trần Hưng Đạo"),
         ("cầu Rồng", "biển Mỹ Khê", "sông Hàn", "bán đảo Sơn Trà", "chợ Hàn", "công viên Biển Đông"),
         (108.10, 15.95, 108.30, 16.15), "Da Nang, Vietnam", 0.10,
         hospitals=("bệnh viện Đà Nẵng", "bệnh viện C")),
    City("hp", ("Hải Phòng", "HP", "đất Cảng", "Hai Phong"), ("Hai Phong", "Haiphong"), ("#HaiPhong",),
         ("Lê Chân", "Ngô Quyền", "Hồng Bàng", "Hải An", "Kiến An"), ("Le Chan", "Ngo Quyen", "Hong Bang"),
         ("Lê Chân", "Ngô Quyền", "Hồng Bàng", "Gia Viên"),
         ("Lạch Tray", "Lê Hồng Phong", "Tô Hiệu", "Nguyễn Văn Linh", "cầu Rào", "Trần Nguyên Hãn"),
         ("Nhà hát lớn Hải Phòng", "Đồ Sơn", "chợ Sắt", "phố đi bộ Tam Bạc"),
         (106.60, 20.78, 106.78, 20.90), "Hai Phong, Vietnam", 0.05),
    City("ct", ("Cần Thơ", "CT", "Tây Đô", "Can Tho"), ("Can Tho", "Cantho"), ("#CanTho",),
         ("Ninh Kiều", "Cái Răng", "Bình Thủy", "Ô Môn"), ("Ninh Kieu", "Cai Rang"),
         ("Ninh Kiều", "Cái Khế", "Tân An", "Cái Răng"),
         ("đường 30/4", "Nguyễn Văn Cừ", "Mậu Thân", "đường 3/2", "cầu Cần Thơ", "Trần Hưng Đạo"),
         ("bến Ninh Kiều", "chợ nổi Cái Răng", "cầu đi bộ Ninh Kiều"),
         (105.70, 9.98, 105.83, 10.10), "Can Tho, Vietnam", 0.04),
    City("hue", ("Huế", "Hue", "xứ Huế", "cố đô"), ("Hue", "Hue"), ("#Hue",),
         ("Thuận Hóa", "Phú Xuân", "phường Phú Hội", "Vỹ Dạ"), ("Thuan Hoa", "Phu Xuan", "Vy Da"),
         ("Phú Hội", "Thuận Hóa", "Phú Xuân", "Vỹ Dạ"),
         ("Lê Lợi", "Hùng Vương", "Trần Hưng Đạo", "Nguyễn Huệ", "cầu Trường Tiền"),
         ("Đại Nội", "sông Hương", "cầu Trường Tiền", "chợ Đông Ba", "chùa Thiên Mụ"),
         (107.52, 16.40, 107.65, 16.52), "Hue, Vietnam", 0.04),
    City("nt", ("Nha Trang", "NT", "Khánh Hòa"), ("Nha Trang",), ("#NhaTrang",),
         ("Lộc Thọ", "Vĩnh Hòa", "Nha Trang"), ("Loc Tho", "Vinh Hoa"), ("Nha Trang", "Bắc Nha Trang"),
         ("Trần Phú", "Phạm Văn Đồng", "đường 2/4"), ("biển Trần Phú", "tháp Bà Ponagar", "chợ Đầm"),
         (109.15, 12.18, 109.25, 12.30), "Nha Trang, Vietnam", 0.02),
    City("bd", ("Bình Dương", "BD", "Thủ Dầu Một", "Dĩ An"), ("Binh Duong", "Thu Dau Mot"), ("#BinhDuong",),
         ("Dĩ An", "Thuận An", "Thủ Dầu Một", "Bến Cát"), ("Di An", "Thuan An"), ("Dĩ An", "Thuận An", "Lái Thiêu"),
         ("Quốc lộ 13", "đại lộ Bình Dương", "Mỹ Phước – Tân Vạn"), ("thành phố mới Bình Dương", "chùa Bà"),
         (106.60, 10.88, 106.78, 11.10), "Thu Dau Mot, Vietnam", 0.02),
    City("vinh", ("Vinh", "Nghệ An", "xứ Nghệ"), ("Vinh",), ("#NgheAn",),
         ("Vinh", "Trường Thi", "Bến Thủy"), ("Vinh",), ("Trường Vinh", "Thành Vinh", "Vinh Hưng"),
         ("Lê Duẩn", "Quang Trung", "đại lộ Lê Nin"), ("quảng trường Hồ Chí Minh", "biển Cửa Lò"),
         (105.62, 18.63, 105.72, 18.72), "Vinh, Vietnam", 0.015),
    City("hl", ("Hạ Long", "Quảng Ninh", "QN"), ("Ha Long", "Halong"), ("#HaLong", "#QuangNinh"),
         ("Bãi Cháy", "Hòn Gai", "Hồng Gai"), ("Bai Chay",), ("Bãi Cháy", "Hồng Gai"),
         ("Hạ Long", "cầu Bãi Cháy", "Trần Quốc Nghiễn"), ("vịnh Hạ Long", "Sun World", "cầu Bãi Cháy"),
         (106.95, 20.90, 107.15, 21.00), "Ha Long, Vietnam", 0.015),
)}

DESTINATIONS_VI = ("Đà Lạt", "Vũng Tàu", "Hội An", "Phú Quốc", "Sapa", "Hạ Long", "Nha Trang", "Quy Nhơn", "Mũi Né",
                   "Côn Đảo", "Ninh Bình", "Hà Giang", "Mộc Châu", "Buôn Ma Thuột")
DESTINATIONS_EN = ("Da Lat", "Dalat", "Vung Tau", "Hoi An", "Phu Quoc", "Sapa", "Ha Long Bay", "Ninh Binh",
                   "Ha Giang", "Quy Nhon", "Mui Ne", "Con Dao")
FESTIVALS = ("ẩm thực đường phố", "áo dài", "văn hóa các dân tộc", "hoa đăng", "bánh dân gian Nam Bộ",
             "âm nhạc quốc tế", "sách và văn hóa đọc", "cà phê")

# Topic → hashtags (diacritics stripped, as people type them).
TOPIC_TAGS: dict[str, tuple[str, ...]] = {
    "traffic": ("#ketxe", "#giaothong", "#traffic", "#kẹtxe"),
    "transit": ("#xebuyt", "#Grab", "#giaothongcongcong"),
    "metro": ("#metro", "#metroso1", "#tauDien", "#CatLinhHaDong"),
    "flood": ("#ngapnuoc", "#mualon", "#trieucuong", "#thoitiet"),
    "air": ("#AQI", "#bụimịn", "#onhiemkhongkhi", "#airpollution"),
    "health": ("#yte", "#BHYT", "#suckhoe"),
    "edu": ("#giaoduc", "#hocphi", "#namhocmoi"),
    "admin": ("#dichvucong", "#VNeID", "#sapnhap", "#canCuoc"),
    "housing": ("#nhao", "#batdongsan", "#thuetro"),
    "prices": ("#giaxang", "#giavang", "#giadien"),
    "jobs": ("#vieclam", "#tuyendung"),
    "safety": ("#antoan", "#luadao", "#canhbao"),
    "utilities": ("#cupdien", "#matnuoc", "#internet"),
    "culture": ("#lehoi", "#concert", "#cuoituan"),
    "tourism": ("#dulich", "#travel", "#checkin"),
    "words": ("#cuocsong",),
    "storm": ("#bao", "#ngapnuoc", "#SaiGonNgap", "#trieucuong"),
    "metro_fare": ("#metro", "#giavemetro", "#metroso1"),
    "fireworks": ("#phaohoa", "#QuocKhanh", "#2thang9", "#fireworks"),
    "trung_thu": ("#TrungThu", "#MidAutumn", "#longden"),
}

# Hotline/feedback-portal district column values (old and post-merger names both occur).
HOTLINE_AREAS: dict[str, tuple[str, ...]] = {
    "hcm": ("Quận 1", "Phường Sài Gòn", "Phường Bến Thành", "Quận 7", "Phường Tân Mỹ", "TP Thủ Đức",
            "Phường Thủ Đức", "Quận Bình Thạnh", "Phường Bình Thạnh", "Quận Gò Vấp", "Quận 8", "Huyện Nhà Bè",
            "Phường An Khánh", "Quận Bình Tân", "Quận Tân Bình", "Xã Nhà Bè"),
    "hn": ("Quận Hoàn Kiếm", "Phường Hoàn Kiếm", "Quận Cầu Giấy", "Phường Cầu Giấy", "Quận Đống Đa",
           "Quận Hà Đông", "Phường Hà Đông", "Quận Long Biên", "Quận Thanh Xuân", "Quận Hoàng Mai"),
    "dn": ("Quận Hải Châu", "Phường Hải Châu", "Quận Sơn Trà", "Quận Liên Chiểu", "Quận Thanh Khê"),
}
