// WeChat's side of the shells: wx.request, wx.login, face verification, wx.requestPayment.
// Everything else the pages do is in ../core/, shared with Alipay and the app's H5 shell.

function parseJson(data) {
  if (data && typeof data === "object") return data;
  try {
    return typeof data === "string" ? JSON.parse(data) : null;
  } catch (e) {
    return null;
  }
}

function readJson(path) {
  return new Promise(function (resolve) {
    if (!path) return resolve(null);
    try {
      wx.getFileSystemManager().readFile({
        filePath: path,
        encoding: "utf8",
        success: function (res) {
          resolve(parseJson(res.data));
        },
        fail: function () {
          resolve(null);
        },
      });
    } catch (e) {
      resolve(null);
    }
  });
}

export const host = {
  channel: "wechat",
  payMode: undefined,
  loginLabel: "微信一键登录",
  canFaceVerify: true,
  transport: function (req) {
    return new Promise(function (resolve, reject) {
      wx.request({
        url: req.url,
        method: req.method,
        header: req.headers,
        data: req.body,
        dataType: "json",
        success: function (res) {
          resolve({ status: res.statusCode, data: res.data, headers: res.header || {} });
        },
        fail: reject,
      });
    });
  },
  store: {
    get: function (key) {
      return wx.getStorageSync(key) || null;
    },
    set: function (key, value) {
      wx.setStorageSync(key, value);
    },
    remove: function (key) {
      wx.removeStorageSync(key);
    },
  },
  login: function () {
    return new Promise(function (resolve, reject) {
      wx.login({
        success: function (res) {
          resolve(res.code);
        },
        fail: reject,
      });
    });
  },
  // City-service face verification (城市服务刷脸): its verifyResult proves the real name.
  faceVerify: function (name, idNumber) {
    return new Promise(function (resolve, reject) {
      wx.startFacialRecognitionVerify({
        name: name,
        idCardNumber: idNumber,
        success: function (res) {
          resolve(res.verifyResult);
        },
        fail: reject,
      });
    });
  },
  pay: function (params) {
    return new Promise(function (resolve) {
      wx.requestPayment({
        timeStamp: params.timeStamp,
        nonceStr: params.nonceStr,
        package: params.package,
        signType: params.signType,
        paySign: params.paySign,
        success: function () {
          resolve("paid");
        },
        fail: function (err) {
          resolve(err && /cancel/.test(err.errMsg || "") ? "cancelled" : "failed");
        },
      });
    });
  },
  // wx.downloadFile succeeds whatever the HTTP status; an error's JSON body is then in the
  // temp file, read back so the page can name the refusal.
  download: function (req) {
    return new Promise(function (resolve, reject) {
      wx.downloadFile({
        url: req.url,
        header: req.headers,
        success: function (res) {
          if (res.statusCode >= 200 && res.statusCode < 300) {
            resolve({ status: res.statusCode, path: res.tempFilePath, data: null });
          } else {
            readJson(res.tempFilePath).then(function (data) {
              resolve({ status: res.statusCode, path: "", data: data });
            });
          }
        },
        fail: reject,
      });
    });
  },
  // Photos or files for a material or a 12345 report: the camera or the album.
  chooseImages: function (count) {
    return new Promise(function (resolve, reject) {
      wx.chooseMedia({
        count: count,
        mediaType: ["image"],
        sourceType: ["album", "camera"],
        success: function (res) {
          resolve(
            (res.tempFiles || []).map(function (f, i) {
              return { path: f.tempFilePath, name: "photo-" + (i + 1) + ".jpg", size: f.size };
            })
          );
        },
        fail: function (err) {
          if (err && /cancel/.test(err.errMsg || "")) resolve([]);
          else reject(err);
        },
      });
    });
  },
  // wx.uploadFile as multipart field `file`, its progress reported as it goes.
  upload: function (req) {
    return new Promise(function (resolve, reject) {
      const task = wx.uploadFile({
        url: req.url,
        filePath: req.file.path,
        name: "file",
        header: req.headers,
        success: function (res) {
          resolve({ status: res.statusCode, data: parseJson(res.data) });
        },
        fail: reject,
      });
      if (task && task.onProgressUpdate) {
        task.onProgressUpdate(function (p) {
          req.onProgress(p.progress);
        });
      }
    });
  },
  // Asked only after the resident ticks "附上我的位置": WeChat then asks for the permission.
  getLocation: function () {
    return new Promise(function (resolve, reject) {
      wx.getLocation({
        type: "gcj02",
        success: function (res) {
          resolve({ lat: res.latitude, long: res.longitude });
        },
        fail: reject,
      });
    });
  },
  // One-time subscribe messages (订阅消息), asked right after the tap that makes them useful.
  subscribe: function (templates) {
    return new Promise(function (resolve) {
      wx.requestSubscribeMessage({
        tmplIds: templates,
        success: function (res) {
          resolve(
            templates.filter(function (t) {
              return res[t] === "accept";
            })
          );
        },
        fail: function () {
          resolve([]);
        },
      });
    });
  },
  redirect: function (url) {
    wx.redirectTo({ url: url });
  },
  scan: function () {
    return new Promise(function (resolve, reject) {
      wx.scanCode({
        success: function (res) {
          resolve(res.result);
        },
        fail: reject,
      });
    });
  },
  navigate: function (url) {
    wx.navigateTo({ url: url });
  },
  toast: function (message) {
    wx.showToast({ title: message, icon: "none", duration: 2500 });
  },
  alert: function (message) {
    wx.showModal({ title: "提示", content: message, showCancel: false });
  },
};
