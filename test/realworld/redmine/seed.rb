# Run by setup.sh through `rails runner` (REDMINE_INSTANCE=rf, production), once per fresh database:
# Redmine's default data in English, a known admin password that need not be changed at first
# login, and a private project `rf` with issue tracking and every tracker.
password = ENV.fetch('RF_ADMIN_PASSWORD')

Redmine::DefaultData::Loader.load('en') if Redmine::DefaultData::Loader.no_data?

admin = User.find_by_login('admin') or raise 'no admin user after migrations'
admin.password = password
admin.password_confirmation = password
admin.must_change_passwd = false
admin.passwd_changed_on = Time.now
admin.save!

# Keep the issue form plain: no REST/JSON noise, no login-required redirects beyond the default.
Setting.rest_api_enabled = '0'

project = Project.find_by_identifier('rf') || Project.new(name: 'rf', identifier: 'rf')
project.is_public = false
project.enabled_module_names = ['issue_tracking']
project.trackers = Tracker.sorted.to_a
project.save!

puts "seeded: admin ok, project #{project.identifier} (id #{project.id}) modules=#{project.enabled_module_names.join(',')} trackers=#{project.trackers.map(&:name).join(',')}"
