/* Jiannuo's charts on the local ECharts (static/vendor; never a CDN). */
(function () {
  /* Horizontal stacked bars, one bar per row of ``data.categories``, one stack per entry of
     ``data.series`` ({key, name, data}), coloured by ``colors[key]``. ``href(i)`` gives the page
     a click on bar i opens (or nothing). Returns the chart, resized with the window. */
  window.jiannuoStackedBars = function (el, data, colors, href) {
    var chart = echarts.init(el, null, {renderer: "svg"});
    chart.setOption({
      animation: false,
      tooltip: {trigger: "axis", axisPointer: {type: "shadow"}},
      legend: {top: 0, type: "scroll"},
      grid: {left: 8, right: 8, bottom: 8, top: 36, containLabel: true},
      xAxis: {type: "value", minInterval: 1},
      yAxis: {type: "category", data: data.categories, inverse: true},
      series: data.series.map(function (s) {
        return {name: s.name, type: "bar", stack: "items", data: s.data, itemStyle: {color: colors[s.key]}};
      })
    });
    chart.on("click", function (p) {
      var url = href(p.dataIndex);
      if (url) window.location = url;
    });
    window.addEventListener("resize", function () { chart.resize(); });
    return chart;
  };
})();
