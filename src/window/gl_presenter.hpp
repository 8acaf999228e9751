#pragma once
// The OpenGL ES 3 presenter. Frames are uploaded as stored (only the damaged texels), then
// converted on the GPU into an 8-bit RGBA "screen" texture (only the damaged pixels), which
// each present draws scaled into the window with the cursor, overlay or status on top. The
// window system is not its business: it draws into the current context's default framebuffer
// and calls the swap hook.
#include <functional>
#include <memory>

#include "viewer/presenter.hpp"
#include "window/gl_objects.hpp"

namespace periscope::window {

struct GlHooks {
  std::function<viewer::OutputSize()> drawable_size;
  std::function<void()> swap;
};

class GlPresenter final : public viewer::Presenter {
 public:
  // Needs a current OpenGL ES 3.0 context; fails with the driver's words when it lacks one.
  static Result<std::unique_ptr<GlPresenter>> create(GlHooks hooks);

  [[nodiscard]] std::string_view name() const override { return "gl"; }
  Status upload(const Frame& frame, const FrameRing::Damage& damage) override;
  void set_cursor(const image::CursorPlanes& planes) override;
  void set_overlay(const image::RgbaImage& overlay) override;
  void set_status(const image::RgbaImage& status) override;
  [[nodiscard]] viewer::OutputSize output_size() const override { return hooks_.drawable_size(); }
  Status present(const viewer::PresentRequest& request) override;
  [[nodiscard]] const image::RgbaImage& last_read_back() const override { return read_back_; }

 private:
  struct Programs {
    GlProgram convert;
    GlProgram picture;
    GlProgram cursor;
    GlProgram image;
  };
  struct ImageTexture {
    GlTexture texture;
    std::uint32_t width{0};
    std::uint32_t height{0};
  };

  GlPresenter(GlHooks hooks, Programs programs, GlVertexArray vao, GLint max_texture);

  Status reshape(const b7::FrameInfo& info);
  void upload_rect(const Frame& frame, std::uint32_t x, std::uint32_t y, std::uint32_t w,
                   std::uint32_t h);
  void convert(const b7::FrameInfo& info, const FrameRing::Damage& damage);
  static void upload_image(ImageTexture& target, const image::RgbaImage& source);
  void draw_image(const ImageTexture& image, std::int32_t x, std::int32_t y, viewer::OutputSize out,
                  bool blend);

  GlHooks hooks_;
  Programs programs_;
  GlVertexArray vao_;
  GLint max_texture_;

  std::optional<b7::FrameInfo> format_;  // of what the textures hold
  GlTexture raw_;
  GlTexture screen_;
  GlFramebuffer screen_fbo_;
  std::uint32_t raw_texels_per_row_{0};
  std::uint32_t texel_bytes_{4};

  ImageTexture cursor_blend_;
  ImageTexture cursor_xor_;
  ImageTexture overlay_;
  ImageTexture status_;
  image::RgbaImage read_back_;
};

}  // namespace periscope::window
