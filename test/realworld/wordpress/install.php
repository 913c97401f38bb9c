<?php
// Non-interactive WordPress install, run by setup.sh (php-cli as www-data):
//   php install.php HOSTPORT ADMIN_PASSWORD
// Loads Debian's wp-config.php with the host-based config selected by WORDPRESS_CONFIG, then calls
// wp_install() the way wp-admin/install.php does, and switches the block editor's welcome guide off
// for the admin (WordPress 6.1 keeps that preference in user meta), so a recording starts on the editor
// and the editor does not save preferences of its own while it is recorded.
if (PHP_SAPI !== 'cli') exit(1);
[$self, $hostport, $password] = $argv + [null, null, null];
if (!$hostport || !$password) { fwrite(STDERR, "usage: php install.php HOST:PORT PASSWORD\n"); exit(2); }
$_SERVER['HTTP_HOST'] = $hostport;
$_SERVER['REQUEST_URI'] = '/wp-admin/install.php';
$_SERVER['SERVER_NAME'] = preg_replace('/:.*/', '', $hostport);
$_SERVER['SERVER_PORT'] = preg_replace('/^[^:]*:?/', '', $hostport) ?: '80';
$_SERVER['WORDPRESS_CONFIG'] = getenv('WORDPRESS_CONFIG');
define('WP_INSTALLING', true);
require '/usr/share/wordpress/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
// No mail on this machine: wp_install() would try to send the new-site notice through sendmail.
add_filter('pre_wp_mail', '__return_true');
if (is_blog_installed()) { echo "already installed\n"; exit(0); }
$url = 'http://' . $hostport;
$r = wp_install('replayfarm WordPress', 'admin', 'admin@example.test', false, '', wp_slash($password));
update_option('siteurl', $url);
update_option('home', $url);
// Gravatar is on the internet, which this machine does not reach.
update_option('show_avatars', 0);
update_user_meta($r['user_id'], $wpdb->get_blog_prefix() . 'persisted_preferences', [
  'core/edit-post' => ['welcomeGuide' => false, 'isComplementaryAreaVisible' => true],
  '_modified' => gmdate('c'),
]);
echo "installed user {$r['user_id']}\n";
