#include "window/gl_presenter.hpp"

#include <algorithm>
#include <cstring>

#include "relay/frame_format.hpp"
#include "viewer/software_presenter.hpp"
#include "window/gl_shaders.hpp"

namespace periscope::window {

namespace {

using b7::FrameType;

struct RawFormat {
  GLint internal;
  GLenum format;
  GLenum type;
  int shader_format;  // u_format of the convert shader
};

RawFormat raw_format(FrameType type) {
  switch (type) {
    case FrameType::kRgba:
      return {GL_RGBA8, GL_RGBA, GL_UNSIGNED_BYTE, 0};
    case FrameType::kBgra:
      return {GL_RGBA8, GL_RGBA, GL_UNSIGNED_BYTE, 1};
    case FrameType::kRgba10:
      // Bits 0-9 red ... 30-31 alpha, little-endian: exactly GL's 2_10_10_10_REV.
      return {GL_RGB10_A2, GL_RGBA, GL_UNSIGNED_INT_2_10_10_10_REV, 2};
    case FrameType::kRgba16f:
      return {GL_RGBA16F, GL_RGBA, GL_HALF_FLOAT, 3};
    case FrameType::kBgr32:
      return {GL_RGBA8, GL_RGBA, GL_UNSIGNED_BYTE, 4};
    case FrameType::kRgb24:
    case FrameType::kInvalid:
      break;
  }
  return {GL_RGBA8, GL_RGBA, GL_UNSIGNED_BYTE, 5};
}

// Bytes of one pixel as stored (24-bit types pack pixels across texels).
std::uint32_t pixel_bytes(FrameType type) {
  if (type == FrameType::kRgba16f) return 8;
  return b7::is_packed_24bit(type) ? 3 : 4;
}

bool sideways(const b7::FrameInfo& info) {
  return info.rotation == b7::FrameRotation::k90 || info.rotation == b7::FrameRotation::k270;
}

// (left, top, right, bottom) in normalised device coordinates for a rectangle in output pixels.
void set_rect(GLint location, double x, double y, double w, double h, viewer::OutputSize out) {
  const double W = out.width;
  const double H = out.height;
  glUniform4f(location, static_cast<GLfloat>(2 * x / W - 1), static_cast<GLfloat>(1 - 2 * y / H),
              static_cast<GLfloat>(2 * (x + w) / W - 1), static_cast<GLfloat>(1 - 2 * (y + h) / H));
}

GLint uniform(const GlProgram& program, const char* name) {
  return glGetUniformLocation(program.get(), name);
}

void set_filter(GLuint texture, GLint filter) {
  glBindTexture(GL_TEXTURE_2D, texture);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, filter);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, filter);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
}

}  // namespace

Result<std::unique_ptr<GlPresenter>> GlPresenter::create(GlHooks hooks) {
  Programs programs;
  const std::pair<GlProgram*, std::string_view> sources[] = {
      {&programs.convert, shaders::kConvertFragment},
      {&programs.picture, shaders::kPictureFragment},
      {&programs.cursor, shaders::kCursorFragment},
      {&programs.image, shaders::kImageFragment},
  };
  for (const auto& [target, fragment] : sources) {
    auto program = build_program(shaders::kQuadVertex, fragment);
    if (!program) return tl::unexpected(program.error());
    *target = std::move(*program);
  }
  GLint max_texture = 0;
  glGetIntegerv(GL_MAX_TEXTURE_SIZE, &max_texture);
  GlVertexArray vao = make_vertex_array();
  if (auto error = gl_error_text(); !error.empty()) {
    return fail(ErrorCode::kUnsupported, "cannot set up OpenGL ES: {}", error);
  }
  return std::unique_ptr<GlPresenter>(
      new GlPresenter(std::move(hooks), std::move(programs), std::move(vao), max_texture));
}

GlPresenter::GlPresenter(GlHooks hooks, Programs programs, GlVertexArray vao, GLint max_texture)
    : hooks_(std::move(hooks)),
      programs_(std::move(programs)),
      vao_(std::move(vao)),
      max_texture_(max_texture) {}

Status GlPresenter::reshape(const b7::FrameInfo& info) {
  texel_bytes_ = b7::texel_bytes(info.type);
  raw_texels_per_row_ = info.pitch / texel_bytes_;
  const auto limit = static_cast<std::uint32_t>(max_texture_);
  if (raw_texels_per_row_ > limit || info.data_height > limit || info.frame_width > limit ||
      info.frame_height > limit) {
    return fail(ErrorCode::kUnsupported, "a {}x{} frame is larger than this GPU's {} texels",
                info.frame_width, info.frame_height, max_texture_);
  }
  const RawFormat raw = raw_format(info.type);
  raw_ = make_texture();
  set_filter(raw_.get(), GL_NEAREST);
  glTexImage2D(GL_TEXTURE_2D, 0, raw.internal, static_cast<GLsizei>(raw_texels_per_row_),
               static_cast<GLsizei>(info.data_height), 0, raw.format, raw.type, nullptr);
  screen_ = make_texture();
  set_filter(screen_.get(), GL_LINEAR);
  glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, static_cast<GLsizei>(info.frame_width),
               static_cast<GLsizei>(info.frame_height), 0, GL_RGBA, GL_UNSIGNED_BYTE, nullptr);
  screen_fbo_ = make_framebuffer();
  glBindFramebuffer(GL_FRAMEBUFFER, screen_fbo_.get());
  glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, screen_.get(), 0);
  const GLenum complete = glCheckFramebufferStatus(GL_FRAMEBUFFER);
  glBindFramebuffer(GL_FRAMEBUFFER, 0);
  if (complete != GL_FRAMEBUFFER_COMPLETE) {
    format_.reset();
    return fail(ErrorCode::kUnsupported, "the screen texture is not renderable ({:#x})", complete);
  }
  format_ = info;
  return {};
}

void GlPresenter::upload_rect(const Frame& frame, std::uint32_t x, std::uint32_t y, std::uint32_t w,
                              std::uint32_t h) {
  const RawFormat raw = raw_format(frame.info.type);
  const std::uint32_t pitch = frame.info.pitch;
  if (pitch % texel_bytes_ == 0) {
    glPixelStorei(GL_UNPACK_ROW_LENGTH, static_cast<GLint>(pitch / texel_bytes_));
    glPixelStorei(GL_UNPACK_SKIP_PIXELS, static_cast<GLint>(x));
    glPixelStorei(GL_UNPACK_SKIP_ROWS, static_cast<GLint>(y));
    glTexSubImage2D(GL_TEXTURE_2D, 0, static_cast<GLint>(x), static_cast<GLint>(y),
                    static_cast<GLsizei>(w), static_cast<GLsizei>(h), raw.format, raw.type,
                    frame.pixels.data());
  } else {
    // Rows that do not start on a texel boundary: one upload per row.
    glPixelStorei(GL_UNPACK_ROW_LENGTH, 0);
    glPixelStorei(GL_UNPACK_SKIP_PIXELS, 0);
    glPixelStorei(GL_UNPACK_SKIP_ROWS, 0);
    for (std::uint32_t row = y; row < y + h; ++row) {
      glTexSubImage2D(
          GL_TEXTURE_2D, 0, static_cast<GLint>(x), static_cast<GLint>(row), static_cast<GLsizei>(w),
          1, raw.format, raw.type,
          frame.pixels.data() + std::size_t{row} * pitch + std::size_t{x} * texel_bytes_);
    }
  }
}

Status GlPresenter::upload(const Frame& frame, const FrameRing::Damage& damage) {
  const b7::FrameInfo& info = frame.info;
  if (frame.pixels.size() < info.data_bytes) {
    return fail(ErrorCode::kInvalidArgument, "frame has {} of {} bytes", frame.pixels.size(),
                info.data_bytes);
  }
  const bool whole = !damage || !format_ || !info.same_format(*format_);
  if (!format_ || !info.same_format(*format_)) {
    if (auto shaped = reshape(info); !shaped) return shaped;
  }
  format_ = info;  // rotation and flags may change without a new texture
  glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
  glBindTexture(GL_TEXTURE_2D, raw_.get());
  if (whole) {
    upload_rect(frame, 0, 0, raw_texels_per_row_, info.data_height);
  } else {
    for (const auto& r : *damage) {
      // Validated rectangles; clamp anyway so a bad one can never reach past the texture.
      const std::uint32_t x = std::min(r.x, raw_texels_per_row_);
      const std::uint32_t y = std::min(r.y, info.data_height);
      const std::uint32_t w = std::min(r.width, raw_texels_per_row_ - x);
      const std::uint32_t h = std::min(r.height, info.data_height - y);
      if (w > 0 && h > 0) upload_rect(frame, x, y, w, h);
    }
  }
  glPixelStorei(GL_UNPACK_ROW_LENGTH, 0);
  glPixelStorei(GL_UNPACK_SKIP_PIXELS, 0);
  glPixelStorei(GL_UNPACK_SKIP_ROWS, 0);
  convert(info, whole ? FrameRing::Damage{} : damage);
  if (auto error = gl_error_text(); !error.empty()) {
    format_.reset();  // start over with the next frame
    return fail(ErrorCode::kIo, "uploading a {}x{} {} frame: {}", info.frame_width,
                info.frame_height, b7::frame_type_name(info.type), error);
  }
  return {};
}

void GlPresenter::convert(const b7::FrameInfo& info, const FrameRing::Damage& damage) {
  glBindFramebuffer(GL_FRAMEBUFFER, screen_fbo_.get());
  glViewport(0, 0, static_cast<GLsizei>(info.frame_width), static_cast<GLsizei>(info.frame_height));
  glDisable(GL_BLEND);
  glUseProgram(programs_.convert.get());
  glBindVertexArray(vao_.get());
  glActiveTexture(GL_TEXTURE0);
  glBindTexture(GL_TEXTURE_2D, raw_.get());
  glUniform1i(uniform(programs_.convert, "u_raw"), 0);
  glUniform1i(uniform(programs_.convert, "u_format"), raw_format(info.type).shader_format);
  const std::uint32_t pixels =
      std::min<std::uint32_t>(info.pitch / pixel_bytes(info.type), info.frame_width);
  glUniform1i(uniform(programs_.convert, "u_pixels"), static_cast<GLint>(pixels));
  glUniform1i(uniform(programs_.convert, "u_rows"), static_cast<GLint>(info.visible_rows()));
  glUniform4f(uniform(programs_.convert, "u_rect"), -1.0F, -1.0F, 1.0F, 1.0F);
  if (!damage) {
    glDisable(GL_SCISSOR_TEST);
    glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
  } else {
    glEnable(GL_SCISSOR_TEST);
    const bool packed = b7::is_packed_24bit(info.type);
    for (const auto& r : *damage) {
      // Texels to the pixels whose bytes they hold (4 texel bytes = 4/3 packed pixels).
      std::uint64_t x0 = r.x;
      std::uint64_t x1 = std::uint64_t{r.x} + r.width;
      if (packed) {
        x0 = x0 * 4 / 3;
        x1 = (x1 * 4 + 2) / 3;
      }
      x1 = std::min<std::uint64_t>(x1, info.frame_width);
      const std::uint64_t y1 =
          std::min<std::uint64_t>(std::uint64_t{r.y} + r.height, info.frame_height);
      if (x0 >= x1 || r.y >= y1) continue;
      glScissor(static_cast<GLint>(x0), static_cast<GLint>(r.y), static_cast<GLsizei>(x1 - x0),
                static_cast<GLsizei>(y1 - r.y));
      glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
    }
    glDisable(GL_SCISSOR_TEST);
  }
  glBindFramebuffer(GL_FRAMEBUFFER, 0);
}

void GlPresenter::upload_image(ImageTexture& target, const image::RgbaImage& source) {
  if (!source.valid() || source.width == 0 || source.height == 0) {
    target.texture.reset();
    target.width = target.height = 0;
    return;
  }
  if (!target.texture || target.width != source.width || target.height != source.height) {
    target.texture = make_texture();
    set_filter(target.texture.get(), GL_NEAREST);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, static_cast<GLsizei>(source.width),
                 static_cast<GLsizei>(source.height), 0, GL_RGBA, GL_UNSIGNED_BYTE, nullptr);
    target.width = source.width;
    target.height = source.height;
  }
  glBindTexture(GL_TEXTURE_2D, target.texture.get());
  glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
  glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, static_cast<GLsizei>(source.width),
                  static_cast<GLsizei>(source.height), GL_RGBA, GL_UNSIGNED_BYTE,
                  source.rgba.data());
}

void GlPresenter::set_cursor(const image::CursorPlanes& planes) {
  upload_image(cursor_blend_, planes.blend);
  upload_image(cursor_xor_, planes.xor_mask);
}

void GlPresenter::set_overlay(const image::RgbaImage& overlay) {
  upload_image(overlay_, overlay);
}

void GlPresenter::set_status(const image::RgbaImage& status) {
  upload_image(status_, status);
}

void GlPresenter::draw_image(const ImageTexture& image, std::int32_t x, std::int32_t y,
                             viewer::OutputSize out, bool blend) {
  if (!image.texture) return;
  if (blend) {
    glEnable(GL_BLEND);
    // Straight alpha over an opaque picture, which stays opaque (as image::blend_over).
    glBlendFuncSeparate(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA, GL_ZERO, GL_ONE);
  } else {
    glDisable(GL_BLEND);
  }
  glUseProgram(programs_.image.get());
  glActiveTexture(GL_TEXTURE0);
  glBindTexture(GL_TEXTURE_2D, image.texture.get());
  glUniform1i(uniform(programs_.image, "u_image"), 0);
  set_rect(uniform(programs_.image, "u_rect"), x, y, image.width, image.height, out);
  glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
  glDisable(GL_BLEND);
}

Status GlPresenter::present(const viewer::PresentRequest& request) {
  const viewer::OutputSize out = hooks_.drawable_size();
  if (out.width == 0 || out.height == 0) return {};  // minimised: nothing to draw into
  glBindFramebuffer(GL_FRAMEBUFFER, 0);
  glViewport(0, 0, static_cast<GLsizei>(out.width), static_cast<GLsizei>(out.height));
  glDisable(GL_SCISSOR_TEST);
  glClearColor(0.0F, 0.0F, 0.0F, 1.0F);
  glClear(GL_COLOR_BUFFER_BIT);
  glBindVertexArray(vao_.get());

  if (request.status) {
    draw_image(status_, 0, 0, out, false);
  } else if (format_) {
    const b7::FrameInfo& info = *format_;
    const std::uint32_t gw = sideways(info) ? info.frame_height : info.frame_width;
    const std::uint32_t gh = sideways(info) ? info.frame_width : info.frame_height;
    const input::PictureRect r = viewer::picture_rect(request.mode, out.width, out.height, gw, gh);
    const auto rotation = static_cast<GLint>(info.rotation);
    set_filter(screen_.get(), viewer::scale_mode_is_smooth(request.mode) ? GL_LINEAR : GL_NEAREST);

    glUseProgram(programs_.picture.get());
    glActiveTexture(GL_TEXTURE0);
    glBindTexture(GL_TEXTURE_2D, screen_.get());
    glUniform1i(uniform(programs_.picture, "u_screen"), 0);
    glUniform1i(uniform(programs_.picture, "u_rotation"), rotation);
    set_rect(uniform(programs_.picture, "u_rect"), r.x, r.y, r.width, r.height, out);
    glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);

    if (request.cursor_visible && cursor_blend_.texture && cursor_xor_.texture) {
      const double sx = static_cast<double>(r.width) / gw;
      const double sy = static_cast<double>(r.height) / gh;
      // Only over the picture: a cursor at the guest's edge must not spill onto the bars. GL's
      // scissor counts rows from the bottom.
      glEnable(GL_SCISSOR_TEST);
      glScissor(r.x, static_cast<GLint>(out.height) - (r.y + r.height), r.width, r.height);
      glUseProgram(programs_.cursor.get());
      const GLuint textures[] = {screen_.get(), cursor_blend_.texture.get(),
                                 cursor_xor_.texture.get()};
      const char* names[] = {"u_screen", "u_blend", "u_xor"};
      for (GLint unit = 0; unit < 3; ++unit) {
        glActiveTexture(static_cast<GLenum>(GL_TEXTURE0 + unit));
        glBindTexture(GL_TEXTURE_2D, textures[unit]);
        glUniform1i(uniform(programs_.cursor, names[unit]), unit);
      }
      glUniform1i(uniform(programs_.cursor, "u_rotation"), rotation);
      glUniform2f(uniform(programs_.cursor, "u_cursor_origin"),
                  static_cast<GLfloat>(static_cast<double>(request.cursor_x) / gw),
                  static_cast<GLfloat>(static_cast<double>(request.cursor_y) / gh));
      glUniform2f(uniform(programs_.cursor, "u_cursor_extent"),
                  static_cast<GLfloat>(static_cast<double>(cursor_blend_.width) / gw),
                  static_cast<GLfloat>(static_cast<double>(cursor_blend_.height) / gh));
      set_rect(uniform(programs_.cursor, "u_rect"), r.x + request.cursor_x * sx,
               r.y + request.cursor_y * sy, cursor_blend_.width * sx, cursor_blend_.height * sy,
               out);
      glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
      glDisable(GL_SCISSOR_TEST);
      glActiveTexture(GL_TEXTURE0);
    }
  }
  if (request.overlay) {
    draw_image(overlay_, viewer::kOverlayMargin, viewer::kOverlayMargin, out, true);
  }
  if (request.read_back) {
    image::RgbaImage shot = image::RgbaImage::filled(out.width, out.height, image::kOpaqueBlack);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadPixels(0, 0, static_cast<GLsizei>(out.width), static_cast<GLsizei>(out.height), GL_RGBA,
                 GL_UNSIGNED_BYTE, shot.rgba.data());
    // GL's first row is the bottom one.
    const std::size_t row = std::size_t{out.width} * 4;
    for (std::uint32_t y = 0; y < out.height / 2; ++y) {
      std::swap_ranges(shot.rgba.begin() + static_cast<std::ptrdiff_t>(y * row),
                       shot.rgba.begin() + static_cast<std::ptrdiff_t>((y + 1) * row),
                       shot.rgba.begin() + static_cast<std::ptrdiff_t>((out.height - 1 - y) * row));
    }
    read_back_ = std::move(shot);
  }
  if (auto error = gl_error_text(); !error.empty()) {
    return fail(ErrorCode::kIo, "drawing: {}", error);
  }
  hooks_.swap();
  return {};
}

}  // namespace periscope::window
