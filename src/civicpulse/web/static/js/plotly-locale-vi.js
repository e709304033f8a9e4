/* Vietnamese for plotly's date axes, hover labels and mode bar, served from this site (no CDN; the CSP allows
 * only 'self'). Same shape as plotly.js's dist/plotly-locale-vi.js: month and day names, date order. */
(function () {
  "use strict";
  if (!window.Plotly) return;
  window.Plotly.register({
    moduleType: "locale",
    name: "vi",
    dictionary: {
      "Autoscale": "Tự động co giãn", "Box Select": "Chọn vùng", "Download plot as a png": "Tải biểu đồ (PNG)",
      "Pan": "Kéo", "Reset axes": "Đặt lại trục", "Zoom": "Phóng to", "Zoom in": "Phóng to", "Zoom out": "Thu nhỏ",
      "Toggle Spike Lines": "Bật/tắt đường dóng", "Show closest data on hover": "Hiện điểm gần nhất",
      "Compare data on hover": "So sánh khi rê chuột", "Double-click to zoom back out": "Nhấp đúp để thu nhỏ lại"
    },
    format: {
      days: ["Chủ nhật", "Thứ hai", "Thứ ba", "Thứ tư", "Thứ năm", "Thứ sáu", "Thứ bảy"],
      shortDays: ["CN", "T2", "T3", "T4", "T5", "T6", "T7"],
      months: ["Tháng 1", "Tháng 2", "Tháng 3", "Tháng 4", "Tháng 5", "Tháng 6", "Tháng 7", "Tháng 8", "Tháng 9",
               "Tháng 10", "Tháng 11", "Tháng 12"],
      shortMonths: ["Th1", "Th2", "Th3", "Th4", "Th5", "Th6", "Th7", "Th8", "Th9", "Th10", "Th11", "Th12"],
      date: "%d/%m/%Y",
      decimal: ",",
      thousands: "."
    }
  });
})();
